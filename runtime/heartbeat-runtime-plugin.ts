import type { OpenClawConfig } from '../lib/config/index.js';
import type { HeartbeatConfig } from '../lib/heartbeat/heartbeat-settings.js';
import { heartbeatPlugin } from '../lib/plugins/heartbeat-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/**
 * Heartbeats from `agents.defaults.heartbeat` and each agent's own `heartbeat` block (seed
 * `agents.list[]` or today's `agents.entries`). Comes after the agents runtime plugin, whose
 * agents and sessions it reads.
 */
export function heartbeatRuntimePlugin(): RuntimePlugin {
  return {
    name: 'heartbeat',
    gatewayPlugins: ({ config }) => [heartbeatPlugin(heartbeatOptions(config))],
  };
}

function heartbeatOptions(config: OpenClawConfig) {
  const agents: Record<string, HeartbeatConfig> = {};
  for (const a of config.agents?.list ?? []) if (a.heartbeat) agents[a.id] = a.heartbeat;
  for (const [id, a] of Object.entries(config.agents?.entries ?? {})) if (a.heartbeat) agents[id] = a.heartbeat as HeartbeatConfig;
  return { defaults: config.agents?.defaults?.heartbeat, agents, userTimezone: config.agents?.defaults?.userTimezone };
}
