import { GatewayError } from '../errors.js';
import type { Heartbeat as HeartbeatConfig } from '../protocol/generated/config.js';
import { canonicalSessionKey, mainSessionKey } from '../sessions/session-keys.js';

export type { HeartbeatConfig };

export const DEFAULT_HEARTBEAT_EVERY = '30m';
export const DEFAULT_HEARTBEAT_ACK_MAX_CHARS = 300;
/** The prompt a seed-era install reports in `health` (observed), so agents' HEARTBEAT.md files keep working. */
export const DEFAULT_HEARTBEAT_PROMPT =
  'Read HEARTBEAT.md if it exists (workspace context). Follow it strictly. Do not infer or repeat old tasks from prior chats. If nothing needs attention, reply HEARTBEAT_OK.';

/** One agent's heartbeat, resolved from `agents.defaults.heartbeat` and its own block. */
export interface HeartbeatSettings {
  agentId: string;
  /** Whether config schedules heartbeats for this agent (`set-heartbeats` can still pause all). */
  enabled: boolean;
  every: string;
  /** null when `every` turns heartbeats off. */
  everyMs: number | null;
  prompt: string;
  target: string;
  to?: string;
  model?: string;
  /** Session key the turns run in. */
  session: string;
  /** Whether `session` was configured (health reports it only then). */
  sessionConfigured: boolean;
  ackMaxChars: number;
  activeHours?: HeartbeatConfig['activeHours'];
}

export interface HeartbeatSettingsInput {
  defaults?: HeartbeatConfig;
  /** Every agent in order, with its own heartbeat block when it has one. */
  agents: ReadonlyArray<{ id: string; heartbeat?: HeartbeatConfig }>;
  defaultAgentId: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `30m`, `1h30m`, `90s`, `2d`; a bare number counts in `defaultUnit`. CONFIG_INVALID for anything
 * else, so a typo never silently means "never".
 */
export function parseDurationMs(text: string, defaultUnit: keyof typeof UNIT_MS = 'm'): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * UNIT_MS[defaultUnit]!);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed.replace(/\s+/g, '')) {
    throw new GatewayError('CONFIG_INVALID', `invalid duration "${text}" (use e.g. 30m, 1h, 90s)`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
}

/**
 * Every agent's heartbeat. When some agent sets its own block only those agents run heartbeats;
 * otherwise the default agent alone does, on the defaults.
 */
export function resolveHeartbeatSettings(input: HeartbeatSettingsInput): HeartbeatSettings[] {
  const explicit = input.agents.some((a) => a.heartbeat !== undefined);
  return input.agents.map(({ id, heartbeat }) => {
    const merged: HeartbeatConfig = { ...input.defaults, ...heartbeat };
    const every = merged.every?.trim() || DEFAULT_HEARTBEAT_EVERY;
    const everyMs = parseDurationMs(every);
    const chosen = explicit ? heartbeat !== undefined : id === input.defaultAgentId;
    return {
      agentId: id,
      enabled: chosen && everyMs > 0,
      every,
      everyMs: everyMs > 0 ? everyMs : null,
      prompt: merged.prompt?.trim() || DEFAULT_HEARTBEAT_PROMPT,
      target: merged.target?.trim() || 'last',
      ...(merged.to?.trim() ? { to: merged.to.trim() } : {}),
      ...(merged.model?.trim() ? { model: merged.model.trim() } : {}),
      session: merged.session?.trim() ? canonicalSessionKey(merged.session, id) : mainSessionKey(id),
      sessionConfigured: Boolean(merged.session?.trim()),
      ackMaxChars: merged.ackMaxChars ?? DEFAULT_HEARTBEAT_ACK_MAX_CHARS,
      ...(merged.activeHours ? { activeHours: merged.activeHours } : {}),
    };
  });
}
