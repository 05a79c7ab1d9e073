import { randomUUID } from 'node:crypto';
import type { Gateway } from '../gateway.js';
import { AgentService, imagesFromAttachments, parseThinking, type AgentServiceOptions } from './agent-service.js';
import { ChatEventBridge, type ChatEventBridgeOptions } from './chat-event-bridge.js';
import { registerChatMethods } from './chat-methods.js';

export interface RegisterAgentMethodsOptions extends AgentServiceOptions {
  chat?: ChatEventBridgeOptions;
}

/** What `registerAgentMethods` installed; HTTP endpoints and hooks run agents through `service`. */
export interface AgentMethods {
  service: AgentService;
  /** Loads session indexes (health/status report them); call before `gateway.start()`. */
  load(): Promise<void>;
  /** Aborts running turns and stops the chat bridge. */
  close(): void;
}

/**
 * Installs agent runs on a Gateway: `agent`, `agent.wait`, `agent.identity.get`,
 * `sessions.list`, `chat.history|send|abort|inject`, the `agent` and `chat` events, and session
 * numbers in health and status. Embedders call it with their own providers, store and tools.
 */
export function registerAgentMethods(gateway: Gateway, options: RegisterAgentMethodsOptions): AgentMethods {
  const service = new AgentService(gateway, options);
  const bridge = new ChatEventBridge(gateway, service.runner, options.chat);
  const { runner, settings, sessions } = service;

  gateway.registerMethod('agent', async (params, ctx) => {
    const runId = params.idempotencyKey;
    const cached = () => {
      const known = service.lookup(runId);
      if (known) return known.result ? service.finalResponse(known.result) : service.accepted(known.run);
      return undefined;
    };
    const early = cached();
    if (early) return early;

    const target = await service.resolveTarget(params);
    // A duplicate may have started the run while the target was being resolved.
    const late = cached();
    if (late) return late;
    const run = service.start(
      {
      runId,
      agentId: target.agentId,
      sessionKey: target.sessionKey,
      message: params.message,
      images: imagesFromAttachments(params.attachments),
      thinking: parseThinking(params.thinking),
      extraSystemPrompt: params.extraSystemPrompt,
      model: params.model,
      timeoutMs: params.timeout === undefined ? undefined : params.timeout * 1000,
      sessionId: params.sessionId,
      label: params.label,
      channel: params.channel,
      to: params.to,
      accountId: params.accountId,
      spawnedBy: params.spawnedBy,
      },
      // The ack goes out before the run's first event, once the message is safely on disk.
      { onStarted: (started) => ctx.respond(service.accepted(started)) },
    );
    const result = await run.done;
    if (params.deliver && result.status === 'ok') await deliver(gateway, result.runId, params, result.payloads.map((p) => p.text).join('\n\n'));
    return service.finalResponse(result);
  });

  gateway.registerMethod('agent.wait', (params) => service.wait(params.runId, params.timeoutMs ?? 30_000));

  gateway.registerMethod('agent.identity.get', async (params) => {
    const { agentId } = await service.resolveTarget({ agentId: params.agentId, sessionKey: params.sessionKey });
    const agent = settings.require(agentId);
    return { agentId: agent.id, ...(agent.name ? { name: agent.name } : {}), ...(agent.avatar ? { avatar: agent.avatar } : {}) };
  });

  gateway.registerMethod('sessions.list', async (params) => {
    const ids = params.agentId ? [settings.require(params.agentId).id] : settings.ids();
    await Promise.all(ids.map((id) => sessions.load(id)));
    const now = gateway.clock.now();
    const search = params.search?.toLowerCase();
    let rows = ids.flatMap((id) => service.rows(id)).sort((a, b) => b.updatedAt - a.updatedAt);
    rows = rows.filter(
      (r) =>
        (params.includeGlobal || r.kind !== 'global') &&
        (params.includeUnknown || r.kind !== 'unknown') &&
        (params.activeMinutes === undefined || now - r.updatedAt <= params.activeMinutes * 60_000) &&
        (params.label === undefined || r.label === params.label) &&
        (!search || r.key.toLowerCase().includes(search) || (r.label ?? '').toLowerCase().includes(search)),
    );
    const primary = ids.length === 1 ? ids[0]! : settings.defaultAgentId;
    let contextTokens: number | null = null;
    try {
      contextTokens = runner.resolveModel(primary).contextTokens;
    } catch {
      // No model configured yet: listing sessions still works.
    }
    const limited = params.limit === undefined ? rows : rows.slice(0, params.limit);
    return {
      ts: now,
      path: sessions.indexPath(primary),
      count: limited.length,
      defaults: { model: settings.modelRef(primary) ?? null, contextTokens },
      sessions: limited,
    };
  });

  registerChatMethods(gateway, service);
  service.installSummaries();

  return {
    service,
    load: () => service.load(),
    close: () => {
      service.close();
      bridge.close();
    },
  };
}

/** `deliver: true`: the reply goes out through the `send` method when a channel provides it. */
async function deliver(
  gateway: Gateway,
  runId: string,
  params: { to?: string; channel?: string; accountId?: string; replyTo?: string; replyChannel?: string; replyAccountId?: string },
  text: string,
): Promise<void> {
  const to = params.replyTo ?? params.to;
  if (!text || !to) return;
  if (!gateway.methods().includes('send')) {
    gateway.logger.log('warn', 'agent', `run ${runId}: reply not delivered, no messaging channel provides the send method`);
    return;
  }
  const channel = params.replyChannel ?? params.channel;
  const accountId = params.replyAccountId ?? params.accountId;
  const call = gateway.call.bind(gateway) as unknown as (m: string, p: unknown) => Promise<unknown>;
  try {
    await call('send', {
      to,
      message: text,
      idempotencyKey: `${runId}:deliver:${randomUUID()}`,
      ...(channel && channel !== 'last' ? { channel } : {}),
      ...(accountId ? { accountId } : {}),
    });
  } catch (err) {
    gateway.logger.log('warn', 'agent', `run ${runId}: reply delivery failed: ${(err as Error).message}`);
  }
}
