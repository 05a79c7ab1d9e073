import { GatewayError } from '../errors.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import { isStatelessSessionKey } from './session-keys.js';

/**
 * What session maintenance (`session.maintenance`, upstream's keys and defaults) does to the rows
 * of stateless runs. Rows a caller can address again are never removed: upstream archives those,
 * which this gateway does not build.
 */
export interface SessionMaintenance {
  /** `enforce` removes rows (and their transcripts); `warn` only logs what it would remove. */
  mode: 'enforce' | 'warn';
  /** Stateless rows idle this long go; 0 keeps them regardless of age. Default 30 days. */
  pruneAfterMs: number;
  /** While the index holds more rows than this, stateless rows go, least recently used first. Default 5000. */
  maxEntries: number;
}

export const DEFAULT_SESSION_MAINTENANCE: Readonly<SessionMaintenance> = { mode: 'enforce', pruneAfterMs: 30 * 86_400_000, maxEntries: 5000 };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `session.maintenance` of a config; an unreadable `pruneAfter` is CONFIG_INVALID rather than a silent default. */
export function sessionMaintenanceFromConfig(config: Pick<OpenClawConfig, 'session'>): SessionMaintenance {
  const raw = config.session?.maintenance ?? {};
  const out: SessionMaintenance = { ...DEFAULT_SESSION_MAINTENANCE };
  if (raw.mode) out.mode = raw.mode;
  if (raw.maxEntries !== undefined) out.maxEntries = raw.maxEntries;
  if (raw.pruneAfter !== undefined && raw.pruneAfter !== '') {
    const ms = parseDurationMs(raw.pruneAfter);
    if (ms === undefined) {
      throw new GatewayError('CONFIG_INVALID', `session.maintenance.pruneAfter must be a duration such as "30d", "12h" or "90m" (a bare number counts days), not ${JSON.stringify(raw.pruneAfter)}`);
    }
    out.pruneAfterMs = ms;
  }
  return out;
}

/** `"30d"`, `"12h"`, `"90m"`, `"1.5h"`, `"500ms"`; a bare number (or numeric string) counts days, as upstream reads it. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * UNIT_MS.d!) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(value);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 'd').toLowerCase()]!);
}

/**
 * The stateless rows `policy` removes from `index` at `now`: those idle past `pruneAfterMs`, then,
 * while the index is over `maxEntries`, the least recently updated. Rows `keep` names (a run
 * is using them) stay whatever their age.
 */
export function expiredStatelessKeys(
  index: Readonly<Record<string, { updatedAt: number }>>,
  policy: SessionMaintenance,
  now: number,
  keep: (key: string) => boolean = () => false,
): string[] {
  const candidates = Object.keys(index).filter((key) => isStatelessSessionKey(key) && !keep(key));
  const cutoff = policy.pruneAfterMs > 0 ? now - policy.pruneAfterMs : -Infinity;
  const expired = candidates.filter((key) => index[key]!.updatedAt < cutoff);
  const overflow = Object.keys(index).length - expired.length - policy.maxEntries;
  if (overflow <= 0) return expired;
  const gone = new Set(expired);
  const oldest = candidates
    .filter((key) => !gone.has(key))
    .sort((a, b) => index[a]!.updatedAt - index[b]!.updatedAt)
    .slice(0, overflow);
  return [...expired, ...oldest];
}
