import type { OpenClawConfig } from '../lib/config/index.js';
import type { HeartbeatConfig } from '../lib/heartbeat/heartbeat-settings.js';
import { systemClock } from '../lib/clock.js';
import { LeaseLeadership } from '../lib/lease-leadership.js';
import { heartbeatPlugin } from '../lib/plugins/heartbeat-plugin.js';
import type { ClusterRuntime } from './cluster-runtime-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface HeartbeatRuntimePluginOptions {
  /** The running cluster, if any: heartbeats then run in one instance at a time (the holder of the `heartbeat` lease). */
  cluster?: () => ClusterRuntime | undefined;
}

/**
 * Heartbeats from `agents.defaults.heartbeat` and each agent's own `heartbeat` block (seed
 * `agents.list[]` or today's `agents.entries`). Comes after the agents runtime plugin, whose
 * agents and sessions it reads.
 */
export function heartbeatRuntimePlugin(options: HeartbeatRuntimePluginOptions = {}): RuntimePlugin {
  let leadership: LeaseLeadership | undefined;
  return {
    name: 'heartbeat',
    gatewayPlugins: ({ config, logger }) => {
      const cluster = options.cluster?.();
      leadership = cluster?.postgres && new LeaseLeadership({ leases: cluster.postgres.leases, key: 'heartbeat', ttlMs: cluster.leaseTtlMs, clock: systemClock, logger });
      return [heartbeatPlugin({ ...heartbeatOptions(config), ...(leadership ? { leadership } : {}) })];
    },
    setup: () => leadership?.start(),
    async stop() {
      await leadership?.close();
      leadership = undefined;
    },
  };
}

function heartbeatOptions(config: OpenClawConfig) {
  const agents: Record<string, HeartbeatConfig> = {};
  for (const a of config.agents?.list ?? []) if (a.heartbeat) agents[a.id] = a.heartbeat;
  for (const [id, a] of Object.entries(config.agents?.entries ?? {})) if (a.heartbeat) agents[id] = a.heartbeat as HeartbeatConfig;
  return { defaults: config.agents?.defaults?.heartbeat, agents, userTimezone: config.agents?.defaults?.userTimezone };
}
