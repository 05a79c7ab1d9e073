import { invalidRequest } from '../errors.js';
import { checkActiveHours } from '../heartbeat/active-hours.js';
import { HeartbeatRunner } from '../heartbeat/heartbeat-runner.js';
import { resolveHeartbeatSettings, type HeartbeatConfig, type HeartbeatSettings } from '../heartbeat/heartbeat-settings.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import type { HealthSummary } from '../protocol/generated/types.js';
import { agentsService, systemEventsService } from '../services.js';
import { SystemEventQueue } from '../system-event-queue.js';
import type { Leadership } from '../lease-leadership.js';

export interface HeartbeatPluginOptions {
  /** `agents.defaults.heartbeat`. */
  defaults?: HeartbeatConfig;
  /** The agents' own `heartbeat` blocks, by agent id. */
  agents?: Record<string, HeartbeatConfig>;
  /** `agents.defaults.userTimezone`. */
  userTimezone?: string;
  /** Whether heartbeats run from the start (default true); `set-heartbeats` switches them at runtime. */
  enabled?: boolean;
  /** Several processes (a cluster): heartbeats run on their interval only in the leader. */
  leadership?: Leadership;
}

/**
 * Heartbeats: periodic agent turns per agent (`HeartbeatRunner`), `wake`, `last-heartbeat`,
 * `set-heartbeats`, the `heartbeat` event, and each agent's heartbeat settings in `health`.
 * Install it after the agents plugin (it reads the agents and their sessions) and the system
 * plugin (it takes the queued system events).
 */
export function heartbeatPlugin(options: HeartbeatPluginOptions = {}): GatewayPlugin {
  let runner: HeartbeatRunner | undefined;
  return {
    name: 'heartbeat',
    setup(host) {
      runner = createRunner(host, options);
      registerHeartbeatMethods(host, runner);
    },
    start: () => runner?.start(),
    stop: () => runner?.stop(),
  };
}

function createRunner(host: GatewayHost, options: HeartbeatPluginOptions): HeartbeatRunner {
  const agents = host.optionalService(agentsService);
  const defaultAgentId = agents?.settings.defaultAgentId ?? host.defaultAgentId;
  const ids = agents?.settings.ids() ?? [defaultAgentId];
  const own = new Map(Object.entries(options.agents ?? {}).map(([id, hb]) => [id.trim().toLowerCase(), hb]));
  const settings = resolveHeartbeatSettings({ defaults: options.defaults, agents: ids.map((id) => ({ id, heartbeat: own.get(id) })), defaultAgentId });
  for (const s of settings) checkActiveHours(s.activeHours, options.userTimezone);
  return new HeartbeatRunner({
    host,
    settings,
    defaultAgentId,
    // Without the system plugin nobody else queues events, but `wake` still needs somewhere to put its text.
    systemEvents: host.optionalService(systemEventsService) ?? new SystemEventQueue(),
    userTimezone: options.userTimezone,
    enabled: options.enabled,
    leadership: options.leadership,
    lastRoute: (agentId, key) => {
      const entry = agents?.sessions.peek(agentId, key);
      return entry ? { channel: entry.channel, to: entry.lastTo, accountId: entry.lastAccountId } : undefined;
    },
  });
}

function registerHeartbeatMethods(host: GatewayHost, runner: HeartbeatRunner): void {
  host.registerMethod('wake', (params) => {
    const text = params.text.trim();
    if (!text) throw invalidRequest('text required');
    const agentId = typeof params.agentId === 'string' ? params.agentId.trim().toLowerCase() : undefined;
    if (agentId && !runner.settings.some((s) => s.agentId === agentId)) throw invalidRequest(`unknown agent id "${params.agentId}"`);
    runner.systemEvents.enqueue(text);
    // The caller is answered at once; the run reports itself through the `heartbeat` event.
    if (params.mode === 'now') runner.runNow(agentId).catch((err: unknown) => host.logger.log('error', 'heartbeat', `wake: ${(err as Error).message}`));
    return { ok: true as const };
  });

  host.registerMethod('last-heartbeat', () => runner.last());

  host.registerMethod('set-heartbeats', (params) => {
    runner.setEnabled(params.enabled);
    host.refreshHealth(false);
    return { ok: true as const, enabled: runner.enabled };
  });

  host.addHealthStage((base): HealthSummary => {
    const byId = new Map(runner.settings.map((s) => [s.agentId, s]));
    const agents = base.agents.map((a) => {
      const s = byId.get(a.agentId);
      return s ? { ...a, heartbeat: healthBlock(s, runner.enabled) } : a;
    });
    const main = byId.get(base.defaultAgentId);
    const on = main && runner.enabled && main.enabled && main.everyMs !== null;
    return { ...base, heartbeatSeconds: on ? Math.round(main.everyMs! / 1000) : 0, agents };
  });
}

function healthBlock(s: HeartbeatSettings, running: boolean): HealthSummary['agents'][number]['heartbeat'] {
  return {
    enabled: running && s.enabled,
    every: s.every,
    everyMs: s.everyMs,
    prompt: s.prompt,
    target: s.target,
    ...(s.model ? { model: s.model } : {}),
    ...(s.sessionConfigured ? { session: s.session } : {}),
    ackMaxChars: s.ackMaxChars,
  };
}
