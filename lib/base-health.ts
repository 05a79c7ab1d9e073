import { DISABLED_HEARTBEAT } from './heartbeat/disabled-heartbeat.js';
import type { HealthSummary } from './protocol/generated/types.js';

/** The health summary before any plugin's stage: no channels, one agent with no sessions yet. */
export function baseHealth(agentId: string, stateDir: string | undefined, now: number): HealthSummary {
  const sessionsPath = stateDir ? `${stateDir}/agents/${agentId}/sessions/sessions.json` : '';
  const sessions = { path: sessionsPath, count: 0, recent: [] };
  return {
    ok: true,
    ts: now,
    durationMs: 0,
    channels: {},
    channelOrder: [],
    channelLabels: {},
    heartbeatSeconds: 0,
    defaultAgentId: agentId,
    agents: [{ agentId, isDefault: true, heartbeat: DISABLED_HEARTBEAT, sessions }],
    sessions,
  };
}
