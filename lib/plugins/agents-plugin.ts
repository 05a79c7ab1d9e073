import { randomUUID } from 'node:crypto';
import { AgentService, imagesFromAttachments, parseThinking, type AgentServiceOptions } from '../agents/agent-service.js';
import type { ChatEventBridgeOptions } from '../agents/chat-event-bridge.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import { agentsService } from '../services.js';
import { registerAgentFilesMethods } from './agent-files-methods.js';
import { registerSessionsUsageMethod } from './sessions-usage-method.js';
import { registerUsageMethods } from './usage-methods.js';
import { modelChoices } from '../agents/model-choices.js';
import { chatPlugin } from './chat-plugin.js';
import { sessionsPlugin } from './sessions-plugin.js';
import { sessionEventsPlugin } from './session-events-plugin.js';
import { emptyFamiliesPlugin } from './empty-families-plugin.js';
import { nodeAgentEventsPlugin } from './node-agent-events-plugin.js';
import { NEW_SESSION_PROMPT, parseResetCommand } from '../agents/reset-command.js';

export type AgentsPluginOptions = AgentServiceOptions;

/**
 * Agent runs: `agent` (two-phase: accepted, then final), `agent.wait`, `agent.identity.get`, the
 * `agent` event, session numbers in health and status, and the AgentService (`agentsService`)
 * that HTTP endpoints and hooks run agents through. Session indexes load at start; running
 * turns are aborted at stop.
 */
export function agentsPlugin(options: AgentsPluginOptions): GatewayPlugin {
  let service: AgentService | undefined;
  return {
    name: 'agents',
    setup(gateway) {
      service = new AgentService(gateway, options);
      gateway.provide(agentsService, service);
      registerAgentMethods(gateway, service);
    },
    start: () => service?.load(),
    stop: () => service?.close(),
  };
}

/**
 * Agents with their sessions and chat, as a gateway serves them: `agentsPlugin`, `sessionsPlugin`,
 * `sessionEventsPlugin`, `chatPlugin`, the empty protocol 4 families around them, and the turns
 * nodes ask for (`voice.transcript`, `agent.request`).
 */
export function agentPlugins(options: AgentsPluginOptions & { chat?: ChatEventBridgeOptions }): GatewayPlugin[] {
  return [agentsPlugin(options), sessionsPlugin(), sessionEventsPlugin(), chatPlugin(options.chat), emptyFamiliesPlugin(), nodeAgentEventsPlugin()];
}

function registerAgentMethods(gateway: GatewayHost, service: AgentService): void {
  const { settings } = service;

  gateway.registerMethod('agent', async (params, ctx) => {
    const runId = params.idempotencyKey;
    const cached = () => {
      const known = service.lookup(runId);
      if (known?.result) return service.finalResponse(known.result);
      if (known?.run) return service.accepted(known.run);
      return undefined;
    };
    const early = cached();
    if (early) return early;

    const target = await service.resolveTarget(params);
    // A duplicate may have started the run while the target was being resolved.
    const late = cached();
    if (late) return late;
    const reset = parseResetCommand(params.message);
    if (reset) await service.resetSession(target.agentId, target.sessionKey);
    const run = service.start(
      {
        runId,
        agentId: target.agentId,
        sessionKey: target.sessionKey,
        message: reset ? reset.rest || NEW_SESSION_PROMPT : params.message,
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

  gateway.registerMethod('agents.list', () => ({
    defaultId: settings.defaultAgentId,
    mainKey: 'main',
    scope: 'per-sender' as const,
    agents: settings.ids().map((id) => {
      const name = settings.get(id)?.name;
      const workspace = settings.workspaceOf(id);
      const [primary, ...fallbacks] = settings.modelChain(id);
      return { id, ...(name ? { name } : {}), ...(workspace ? { workspace } : {}), ...(primary ? { model: { primary, fallbacks } } : {}) };
    }),
  }));

  gateway.registerMethod('models.list', () => ({ models: modelChoices(service) }));
  gateway.registerMethod('models.authStatus', () => ({
    ts: gateway.clock.now(),
    providers: (service.models.credentials?.() ?? []).map((c) => ({
      provider: c.provider,
      displayName: c.provider,
      status: c.source === 'missing' ? ('missing' as const) : ('static' as const),
      profiles: c.source === 'missing' ? [] : [{ profileId: `${c.provider}:default`, type: 'api_key' as const, status: 'static' as const }],
      ...(c.source === 'missing' ? {} : { apiKey: { source: c.source, ...(c.envVar ? { envVar: c.envVar } : {}) } }),
    })),
  }));
  registerAgentFilesMethods(gateway, service);
  registerUsageMethods(gateway, service);
  registerSessionsUsageMethod(gateway, service);

  service.installSummaries();
}

/** `deliver: true`: the reply goes out through the `send` method when a channel provides it. */
async function deliver(
  gateway: GatewayHost,
  runId: string,
  params: { to?: string; channel?: string; accountId?: string; replyTo?: string; replyChannel?: string; replyAccountId?: string },
  text: string,
): Promise<void> {
  const to = params.replyTo ?? params.to;
  if (!text || !to) return;
  if (!gateway.hasMethod('send')) {
    gateway.logger.log('warn', 'agent', `run ${runId}: reply not delivered, no messaging channel provides the send method`);
    return;
  }
  const channel = params.replyChannel ?? params.channel;
  const accountId = params.replyAccountId ?? params.accountId;
  try {
    await gateway.call('send', {
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
