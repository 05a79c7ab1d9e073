import type { AgentService } from '../agents/agent-service.js';
import { imagesFromAttachments, parseThinking } from '../agents/agent-service.js';
import { ChatEventBridge, type ChatEventBridgeOptions } from '../agents/chat-event-bridge.js';
import { invalidRequest } from '../errors.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import type { AssistantMessage } from '../providers/model-provider.js';
import { agentsService } from '../services.js';
import { NEW_SESSION_PROMPT, parseResetCommand } from '../agents/reset-command.js';
import type { ChatCommand, ChatHistoryParams, ChatHistoryResult, ChatMessage } from '../protocol/generated/types.js';
import { modelChoices } from '../agents/model-choices.js';

/** Messages that stop the session's runs instead of starting one. */
const STOP_COMMAND = /^\/?(stop|esc|abort|wait|exit|interrupt)$/i;
/** chat.history stays under this many bytes of JSON; older messages go first. */
const HISTORY_MAX_BYTES = 6 * 1024 * 1024;

/** The slash commands `chat.send` acts on itself, before any model sees the message. */
const CHAT_COMMANDS: ChatCommand[] = [
  { name: 'new', description: 'Start a new session (optionally with a first message)', textAliases: ['/new'] },
  { name: 'reset', description: 'Start a new session, like /new', textAliases: ['/reset'] },
  { name: 'stop', description: "Abort the session's running turns", textAliases: ['/stop', '/abort', '/esc', '/wait', '/exit', '/interrupt'] },
];

/**
 * WebChat: `chat.history`, `chat.send`, `chat.abort`, `chat.inject`, and the
 * `chat` events derived from agent runs. Needs `agentsPlugin` before it.
 */
export function chatPlugin(options: ChatEventBridgeOptions = {}): GatewayPlugin {
  let bridge: ChatEventBridge | undefined;
  let service: AgentService | undefined;
  return {
    name: 'chat',
    setup(gateway) {
      service = gateway.service(agentsService);
      bridge = new ChatEventBridge(gateway, service.runner, options);
      registerChatMethods(gateway, service);
    },
    stop: async () => {
      // Runs still in flight end first, so their clients get the closing `chat` event; aborting
      // is idempotent, the agents plugin stops after this one.
      await service?.close();
      bridge?.close();
    },
  };
}

function registerChatMethods(gateway: GatewayHost, service: AgentService): void {
  const { runner, sessions, settings } = service;

  const history = async (params: ChatHistoryParams): Promise<ChatHistoryResult> => {
    const { agentId, sessionKey } = service.chatTarget(params.sessionKey, params.agentId);
    const entry = await sessions.get(agentId, sessionKey);
    const thinkingLevel = entry?.thinkingLevel ?? settings.thinkingDefault;
    if (!entry) return { sessionKey: params.sessionKey, messages: [], thinkingLevel, hasMore: false, totalMessages: 0 };
    const lines = await sessions.messages(agentId, entry);
    // A page ends `offset` messages before the newest; paging back asks again with `nextOffset`.
    const end = Math.max(0, lines.length - (params.offset ?? 0));
    const start = Math.max(0, end - (params.limit ?? 200));
    const budget = Math.min(HISTORY_MAX_BYTES, params.maxBytes ?? Infinity);
    // Each message's text is cut at maxChars; one still over the whole budget becomes a placeholder.
    const messages = lines.slice(start, end).map((l) => fitMessage(clipMessageText(l.message as unknown as ChatMessage, params.maxChars), budget));
    let bytes = Buffer.byteLength(JSON.stringify(messages), 'utf8');
    let first = start;
    while (bytes > budget && messages.length > 1) {
      bytes -= Buffer.byteLength(JSON.stringify(messages.shift()), 'utf8') + 1;
      first++;
    }
    return {
      sessionKey: params.sessionKey,
      sessionId: entry.sessionId,
      messages,
      thinkingLevel,
      hasMore: first > 0,
      ...(first > 0 ? { nextOffset: lines.length - first } : {}),
      totalMessages: lines.length,
      sessionInfo: service.row(agentId, sessionKey, entry),
    };
  };
  gateway.registerMethod('chat.history', history);
  // Today's chat pane opens a session with this: the same page chat.history answers.
  gateway.registerMethod('chat.startup', history);

  gateway.registerMethod('chat.metadata', async (params) => {
    const target = params.sessionKey ? service.chatTarget(params.sessionKey, params.agentId) : undefined;
    const agentId = settings.require(params.agentId ?? target?.agentId ?? settings.defaultAgentId).id;
    return { agentId, ...(target ? { sessionKey: target.sessionKey } : {}), commands: CHAT_COMMANDS, models: modelChoices(service) };
  });

  gateway.registerMethod('chat.send', async (params) => {
    const runId = params.idempotencyKey;
    const known = service.lookup(runId);
    if (known) {
      if (!known.result) return { runId, status: 'in_flight' as const };
      if (known.result.status === 'ok') return { runId, status: 'ok' as const };
      // Throws the cached failure, with its `{runId, status:"error", summary}` payload.
      service.finalResponse(known.result);
    }
    const { agentId, sessionKey } = service.chatTarget(params.sessionKey);
    const text = params.message.trim();
    if (STOP_COMMAND.test(text) && !params.attachments?.length) {
      const runIds = runner.abortSession(sessionKey, 'stop');
      return { ok: true as const, aborted: runIds.length > 0, runIds };
    }
    if (!text && !params.attachments?.length) throw invalidRequest('message or attachment required');
    const reset = parseResetCommand(params.message);
    if (reset) await service.resetSession(agentId, sessionKey);
    const run = service.start({
      runId,
      agentId,
      sessionKey,
      clientSessionKey: params.sessionKey,
      message: reset ? reset.rest || NEW_SESSION_PROMPT : params.message,
      images: imagesFromAttachments(params.attachments),
      thinking: parseThinking(params.thinking),
      timeoutMs: params.timeoutMs,
      channel: 'webchat',
    });
    await run.started;
    return { runId, status: 'started' as const };
  });

  gateway.registerMethod('chat.abort', (params) => {
    const { sessionKey } = service.chatTarget(params.sessionKey);
    if (params.runId === undefined) {
      const runIds = runner.abortSession(sessionKey, 'rpc');
      return { ok: true as const, aborted: runIds.length > 0, runIds };
    }
    const run = runner.get(params.runId);
    if (!run) return { ok: true as const, aborted: false, runIds: [] };
    if (run.sessionKey !== sessionKey) throw invalidRequest('runId does not match sessionKey');
    const live = !run.aborted;
    run.abort('rpc');
    return { ok: true as const, aborted: live, runIds: live ? [run.runId] : [] };
  });

  gateway.registerMethod('chat.inject', async (params) => {
    const { agentId, sessionKey } = service.chatTarget(params.sessionKey);
    // Waits for the session's current run, so the note never lands between a tool call and its result.
    const line = await runner.exclusive(sessionKey, async () => {
      const entry = await sessions.ensure(agentId, sessionKey);
      const message: AssistantMessage = {
        role: 'assistant',
        content: [{ type: 'text', text: params.message }],
        timestamp: gateway.clock.now(),
        stopReason: 'injected',
        ...(params.label ? { label: params.label } : {}),
      };
      const written = await sessions.append(agentId, sessionKey, entry, message);
      await sessions.update(agentId, sessionKey, {});
      return written;
    });
    gateway.broadcast('chat', {
      runId: `inject-${line.id}`,
      sessionKey: params.sessionKey,
      seq: 0,
      state: 'final',
      message: line.message as unknown as Record<string, unknown> & { role: string },
    });
    return { ok: true as const, messageId: line.id };
  });
}

/** The message with every text cut at `max` characters (marked), when a limit is given. */
function clipMessageText(message: ChatMessage, max: number | undefined): ChatMessage {
  if (max === undefined) return message;
  const clip = (text: string) => (text.length > max ? `${text.slice(0, max)}…` : text);
  const content = message.content;
  if (typeof content === 'string') return { ...message, content: clip(content) };
  if (!Array.isArray(content)) return message;
  return { ...message, content: content.map((part: { type?: string; text?: unknown }) => (part?.type === 'text' && typeof part.text === 'string' ? { ...part, text: clip(part.text) } : part)) };
}

/** A message too large for the page on its own, as a small stand-in that says so. */
function fitMessage(message: ChatMessage, budget: number): ChatMessage {
  const size = Buffer.byteLength(JSON.stringify(message), 'utf8');
  if (size <= budget) return message;
  return { role: message.role, content: [{ type: 'text', text: `[message omitted: ${size} bytes]` }], ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }) };
}
