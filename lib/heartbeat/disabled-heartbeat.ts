import type { HealthSummary } from '../protocol/generated/types.js';

/**
 * The health block of an agent whose heartbeats do not run (no runner, or none configured). The
 * v4 shape wants every field; these are the values that mean "off" in heartbeat config: `0m`
 * disables, target `none` delivers nowhere.
 */
export const DISABLED_HEARTBEAT: HealthSummary['agents'][number]['heartbeat'] = {
  enabled: false,
  every: '0m',
  everyMs: null,
  prompt: '',
  target: 'none',
  ackMaxChars: 0,
};
