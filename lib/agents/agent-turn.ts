import type { Clock, TimerHandle } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AgentPendingToolCall, AgentReplyPayload } from '../protocol/generated/types.js';
import type {
  AssistantMessage,
  ModelMessage,
  ModelUsage,
  StopReason,
  ThinkingLevel,
  ThinkingPart,
  ToolCallPart,
  ToolResultMessage,
  ToolSpec,
  UserMessage,
} from '../providers/model-provider.js';
import { textOf } from '../providers/model-provider.js';
import { estimateTokens, fitHistory } from '../sessions/history-window.js';
import type { SessionEntry, SessionStore } from '../sessions/session-store.js';
import { asGatewayError, type AgentRun, type AgentRunRequest, type AgentRunResult, type RunState } from './agent-run.js';
import type { AgentSettings } from './agent-settings.js';
import type { ToolRegistry } from './tool-registry.js';

const DEFAULT_MAX_TOOL_ROUNDS = 24;

/** What a turn uses of the runner that queued it (AgentRunner; this module loads with its first run). */
export interface TurnHost {
  readonly options: {
    sessions: SessionStore;
    settings: AgentSettings;
    tools?: ToolRegistry;
    maxToolRounds?: number;
    systemPrompt?: (agentId: string, settings: AgentSettings) => string;
  };
  readonly clock: Clock;
  readonly logger: Logger;
  /** Sends one `agent` event of the run. */
  emit(run: AgentRun, stream: string, data: Record<string, unknown>): void;
  /** The run's result with its common fields filled in. */
  result(run: AgentRun, fields: Partial<AgentRunResult> & Pick<AgentRunResult, 'status' | 'startedAt' | 'payloads'>): AgentRunResult;
}

/**
 * Executes a run the runner dequeued: writes the user's message, then streams from the model,
 * executes tool calls and feeds their results back until the model answers, the tool rounds run
 * out or the run is aborted. Every transcript line is on disk before the event that announces it.
 */
export async function executeTurn(host: TurnHost, run: AgentRun, state: RunState): Promise<AgentRunResult> {
  state.phase = 'running';
  const { request } = run;
  const { sessions, settings } = host.options;
  const startedAt = host.clock.now();
  const signal = state.controller.signal;

  if (signal.aborted) {
    state.markStarted();
    host.emit(run, 'lifecycle', { phase: 'start', startedAt });
    const endedAt = host.clock.now();
    host.emit(run, 'lifecycle', { phase: 'end', startedAt, endedAt, aborted: true });
    return host.result(run, { status: 'ok', startedAt, payloads: [], aborted: true, abortReason: run.abortReason, stopReason: 'aborted' });
  }

  let entry: SessionEntry;
  let history: ModelMessage[];
  try {
    entry = await sessions.ensure(run.agentId, run.sessionKey, request.sessionId === undefined ? {} : { sessionId: request.sessionId });
    history = (await sessions.messages(run.agentId, entry)).map((l) => l.message);
    const unmatched: string[] = [];
    for (const r of request.toolResults ?? []) {
      const name = findToolName(history, r.toolCallId);
      if (!name) {
        unmatched.push(`[Result of tool call ${r.toolCallId}]\n${r.output}`);
        continue;
      }
      const msg: ToolResultMessage = { role: 'toolResult', toolCallId: r.toolCallId, toolName: name, content: [{ type: 'text', text: r.output }], isError: false, timestamp: host.clock.now() };
      await sessions.append(run.agentId, run.sessionKey, entry, msg, run.runId);
      history.push(msg);
    }
    // Results for calls this session never made (a stateless client replaying a conversation) still reach the model.
    const message = [...unmatched, request.message].filter(Boolean).join('\n\n');
    const user = userMessage({ ...request, message }, host.clock.now());
    if (user) {
      await sessions.append(run.agentId, run.sessionKey, entry, user, run.runId);
      history.push(user);
    }
  } catch (err) {
    state.markStarted();
    const error = asGatewayError(err);
    host.emit(run, 'lifecycle', { phase: 'start', startedAt });
    host.emit(run, 'lifecycle', { phase: 'error', startedAt, endedAt: host.clock.now(), error: error.message });
    return host.result(run, { status: 'error', startedAt, payloads: [], error });
  }
  state.markStarted();
  host.emit(run, 'lifecycle', { phase: 'start', startedAt });

  const timeoutMs = request.timeoutMs ?? settings.timeoutSeconds * 1000;
  let timer: TimerHandle | undefined;
  if (timeoutMs > 0) timer = host.clock.setTimeout(() => run.abort('timeout'), timeoutMs);
  try {
    return await loop(host, run, state, entry, history, startedAt);
  } finally {
    if (timer !== undefined) host.clock.clearTimeout(timer);
  }
}

async function loop(host: TurnHost, run: AgentRun, state: RunState, entry: SessionEntry, history: ModelMessage[], startedAt: number): Promise<AgentRunResult> {
  const { request, model } = run;
  const { sessions, settings, tools } = host.options;
  const signal = state.controller.signal;
  const verbose = (entry.verboseLevel ?? settings.verboseDefault) === 'on';
  const clientTools = new Set((request.clientTools ?? []).map((t) => t.name));
  const toolSpecs = [...(tools?.specs() ?? []).filter((t) => !clientTools.has(t.name)), ...(request.clientTools ?? [])];
  const system = systemPrompt(host, run);
  const maxTokens = request.maxOutputTokens ?? model.maxTokens;
  const reserve = maxTokens ?? 4096;
  const budget = Math.max(1024, model.contextTokens - reserve - estimateTokens(system) - estimateTokens(JSON.stringify(toolSpecs)));
  const thinking = request.thinking ?? (entry.thinkingLevel as ThinkingLevel | undefined) ?? settings.thinkingDefault;
  const maxRounds = host.options.maxToolRounds ?? DEFAULT_MAX_TOOL_ROUNDS;

  const payloads: AgentReplyPayload[] = [];
  let usage: ModelUsage | undefined;
  let lastUsage: ModelUsage | undefined;
  let error: GatewayError | undefined;
  let stopReason: string | undefined;
  let pending: AgentPendingToolCall[] | undefined;

  for (let round = 0; ; round++) {
    if (round >= maxRounds) {
      stopReason = 'toolLimit';
      break;
    }
    state.text = '';
    const reply = await stream(host, run, state, {
      system,
      messages: fitHistory(history, budget),
      tools: toolSpecs,
      thinking,
      maxTokens,
    });
    if (reply.usage) {
      lastUsage = reply.usage;
      usage = addUsage(usage, reply.usage);
      state.usage = usage;
    }
    const message = reply.message;
    try {
      if (message.stopReason === 'error' || message.content.length > 0) {
        await sessions.append(run.agentId, run.sessionKey, entry, message, run.runId);
        history.push(message);
        state.lastMessage = message;
      }
    } catch (err) {
      error = asGatewayError(err);
      break;
    }
    const text = textOf(message.content);
    if (text) payloads.push({ text, mediaUrl: null });
    if (reply.error) {
      error = reply.error;
      break;
    }
    if (signal.aborted) break;
    stopReason = message.stopReason;
    const calls = message.content.filter((p): p is ToolCallPart => p.type === 'toolCall');
    if (!calls.length) break;

    const mine = calls.filter((c) => !clientTools.has(c.name));
    const theirs = calls.filter((c) => clientTools.has(c.name));
    try {
      for (const call of mine) {
        const { message: result, details } = await callTool(host, run, signal, call, reply.badArguments.get(call.id), verbose);
        await sessions.append(run.agentId, run.sessionKey, entry, result, run.runId);
        history.push(result);
        if (verbose) {
          host.emit(run, 'tool', {
            phase: 'result',
            name: call.name,
            toolCallId: call.id,
            meta: summarize(textOf(result.content)),
            isError: result.isError,
            result: details ?? textOf(result.content),
          });
        }
      }
    } catch (err) {
      error = asGatewayError(err);
      break;
    }
    if (theirs.length) {
      pending = theirs.map((c) => ({ id: c.id, name: c.name, arguments: JSON.stringify(c.arguments) }));
      stopReason = 'toolUse';
      break;
    }
    if (signal.aborted) break;
  }

  const aborted = signal.aborted && run.abortReason !== 'timeout';
  if (signal.aborted && run.abortReason === 'timeout' && !error) {
    const ms = request.timeoutMs ?? settings.timeoutSeconds * 1000;
    error = new GatewayError('AGENT_TIMEOUT', `agent run timed out after ${ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`}`);
  }
  try {
    await sessions.update(run.agentId, run.sessionKey, {
      abortedLastRun: signal.aborted,
      systemSent: true,
      model: model.ref,
      modelProvider: model.provider.id,
      contextTokens: model.contextTokens,
      ...(lastUsage ? { inputTokens: lastUsage.input, outputTokens: lastUsage.output, totalTokens: lastUsage.input + lastUsage.output } : {}),
      ...(request.label ? { label: request.label } : {}),
      ...(request.channel ? { channel: request.channel } : {}),
      ...(request.to ? { lastTo: request.to } : {}),
      ...(request.accountId ? { lastAccountId: request.accountId } : {}),
      ...(request.spawnedBy ? { spawnedBy: request.spawnedBy } : {}),
    });
  } catch (err) {
    host.logger.log('error', 'agent', `session index update after run ${run.runId} failed: ${(err as Error).message}`);
  }

  const endedAt = host.clock.now();
  if (error) {
    host.emit(run, 'lifecycle', { phase: 'error', startedAt, endedAt, error: error.message });
  } else {
    host.emit(run, 'lifecycle', { phase: 'end', startedAt, endedAt, ...(aborted ? { aborted: true } : {}) });
  }
  return host.result(run, {
    status: error ? 'error' : 'ok',
    startedAt,
    endedAt,
    sessionId: entry.sessionId,
    usage,
    payloads,
    aborted,
    abortReason: run.abortReason,
    stopReason: signal.aborted ? (run.abortReason === 'timeout' ? 'timeout' : 'aborted') : error ? 'error' : stopReason,
    ...(pending ? { pendingToolCalls: pending } : {}),
    ...(error ? { error } : {}),
    lastMessage: state.lastMessage,
  });
}

/** One model call: streams text out as `assistant` events and returns the finished message. */
async function stream(
  host: TurnHost,
  run: AgentRun,
  state: RunState,
  input: { system: string; messages: ModelMessage[]; tools: ToolSpec[]; thinking: ThinkingLevel; maxTokens?: number },
): Promise<{ message: AssistantMessage; usage?: ModelUsage; error?: GatewayError; badArguments: Map<string, string> }> {
  const { model } = run;
  const signal = state.controller.signal;
  const calls: ToolCallPart[] = [];
  const badArguments = new Map<string, string>();
  let thinking: ThinkingPart | undefined;
  let usage: ModelUsage | undefined;
  let stop: StopReason = 'stop';
  let error: GatewayError | undefined;
  try {
    const stream = model.provider.stream({
      model: model.model,
      system: input.system,
      messages: input.messages,
      tools: input.tools.length ? input.tools : undefined,
      maxTokens: input.maxTokens,
      thinking: input.thinking,
      signal,
    });
    for await (const event of stream) {
      switch (event.type) {
        case 'text':
          state.text += event.delta;
          host.emit(run, 'assistant', { text: state.text, delta: event.delta });
          break;
        case 'thinking':
          thinking ??= { type: 'thinking', thinking: '' };
          thinking.thinking += event.delta;
          if (event.signature) thinking.signature = (thinking.signature ?? '') + event.signature;
          break;
        case 'toolCall': {
          let args: Record<string, unknown> = {};
          try {
            const parsed = JSON.parse(event.argumentsJson) as unknown;
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) args = parsed as Record<string, unknown>;
            else badArguments.set(event.id, 'arguments must be a JSON object');
          } catch (err) {
            badArguments.set(event.id, `arguments are not valid JSON (${(err as Error).message})`);
          }
          calls.push({ type: 'toolCall', id: event.id, name: event.name, arguments: args });
          break;
        }
        case 'usage':
          usage = event.usage;
          break;
        case 'stop':
          stop = event.reason;
          break;
      }
    }
  } catch (err) {
    if (!signal.aborted) error = asGatewayError(err);
  }
  const content: AssistantMessage['content'] = [];
  if (thinking) content.push(thinking);
  if (state.text) content.push({ type: 'text', text: state.text });
  const interrupted = signal.aborted || error !== undefined;
  if (!interrupted) content.push(...calls);
  const message: AssistantMessage = {
    role: 'assistant',
    content,
    timestamp: host.clock.now(),
    stopReason: signal.aborted ? (run.abortReason === 'timeout' ? 'timeout' : 'aborted') : error ? 'error' : stop,
    provider: model.provider.id,
    model: model.model,
  };
  if (usage) message.usage = usage;
  if (error) message.errorMessage = error.message;
  return { message, usage, error, badArguments };
}

/** Runs one tool call to a result message; failures (and aborts) become error results for the model. */
async function callTool(host: TurnHost, run: AgentRun, signal: AbortSignal, call: ToolCallPart, badArguments: string | undefined, verbose: boolean): Promise<{ message: ToolResultMessage; details?: unknown }> {
  const done = (text: string, isError: boolean, details?: unknown) => ({
    message: {
      role: 'toolResult' as const,
      toolCallId: call.id,
      toolName: call.name,
      content: [{ type: 'text' as const, text }],
      isError,
      timestamp: host.clock.now(),
    },
    details,
  });
  if (signal.aborted) return done('Not run: the run was aborted.', true);
  if (verbose) host.emit(run, 'tool', { phase: 'start', name: call.name, toolCallId: call.id, args: call.arguments });
  if (badArguments) return done(`Invalid tool call: ${badArguments}`, true);
  const tools = host.options.tools;
  if (!tools) return done(`Tool not available: ${call.name}`, true);
  const ctx = {
    agentId: run.agentId,
    sessionKey: run.sessionKey,
    runId: run.runId,
    signal,
    messageChannel: run.request.channel,
    accountId: run.request.accountId,
  };
  let stopWaiting: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    const onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
    stopWaiting = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    // A tool that ignores the signal must not hold the run (or its deadline) hostage.
    const outcome = await Promise.race([tools.invoke(call.name, call.arguments, ctx), aborted]);
    if (outcome === 'aborted') return done('Not finished: the run was aborted.', true);
    return done(outcome.text, outcome.isError ?? false, outcome.details);
  } catch (err) {
    return done((err as Error).message || String(err), true);
  } finally {
    stopWaiting?.();
  }
}

function systemPrompt(host: TurnHost, run: AgentRun): string {
  const settings = host.options.settings;
  const base = host.options.systemPrompt?.(run.agentId, settings) ?? defaultSystemPrompt(settings.get(run.agentId)?.name ?? run.agentId);
  return run.request.extraSystemPrompt ? `${base}\n\n${run.request.extraSystemPrompt}` : base;
}

function defaultSystemPrompt(name: string): string {
  return `You are ${name}, a personal assistant running inside OpenClaw. Answer concisely. Use the tools you are given when they help.`;
}

function userMessage(request: AgentRunRequest, timestamp: number): UserMessage | undefined {
  const images = request.images ?? [];
  if (!request.message && !images.length) return undefined;
  if (!images.length) return { role: 'user', content: request.message, timestamp };
  return { role: 'user', content: [...(request.message ? [{ type: 'text' as const, text: request.message }] : []), ...images], timestamp };
}

function findToolName(history: readonly ModelMessage[], toolCallId: string): string | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i]!;
    if (m.role !== 'assistant') continue;
    const call = m.content.find((p): p is ToolCallPart => p.type === 'toolCall' && p.id === toolCallId);
    if (call) return call.name;
  }
  return undefined;
}

function addUsage(a: ModelUsage | undefined, b: ModelUsage): ModelUsage {
  if (!a) return { ...b };
  const out: ModelUsage = { input: a.input + b.input, output: a.output + b.output, total: a.total + b.total };
  const cacheRead = (a.cacheRead ?? 0) + (b.cacheRead ?? 0);
  const cacheWrite = (a.cacheWrite ?? 0) + (b.cacheWrite ?? 0);
  if (cacheRead) out.cacheRead = cacheRead;
  if (cacheWrite) out.cacheWrite = cacheWrite;
  return out;
}

function summarize(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
