import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { DEFAULT_SESSION_MAINTENANCE, expiredStatelessKeys, parseDurationMs, sessionMaintenanceFromConfig } from '../../../lib/sessions/session-maintenance.js';
import { statelessSessionKey } from '../../../lib/sessions/session-keys.js';

const HOUR = 3_600_000;

describe('session maintenance', () => {
  it('reads upstream session.maintenance: enforce, 30 days and 5000 rows unless set', () => {
    expect(sessionMaintenanceFromConfig({})).toEqual({ mode: 'enforce', pruneAfterMs: 30 * 24 * HOUR, maxEntries: 5000 });
    expect(sessionMaintenanceFromConfig({ session: { maintenance: { mode: 'warn', pruneAfter: '12h', maxEntries: 200, maxDiskBytes: '500mb' } } })).toEqual({
      mode: 'warn',
      pruneAfterMs: 12 * HOUR,
      maxEntries: 200,
    });
    expect(sessionMaintenanceFromConfig({ session: { maintenance: { pruneAfter: 7 } } }).pruneAfterMs).toBe(7 * 24 * HOUR);
    expect(() => sessionMaintenanceFromConfig({ session: { maintenance: { pruneAfter: 'soon' } } })).toThrow(GatewayError);
    expect(() => sessionMaintenanceFromConfig({ session: { maintenance: { pruneAfter: 'soon' } } })).toThrow('session.maintenance.pruneAfter must be a duration');
  });

  it('parses durations as upstream does: a bare number counts days', () => {
    expect(parseDurationMs('90m')).toBe(90 * 60_000);
    expect(parseDurationMs('1.5h')).toBe(1.5 * HOUR);
    expect(parseDurationMs(' 30D ')).toBe(30 * 24 * HOUR);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('2')).toBe(2 * 24 * HOUR);
    expect(parseDurationMs(0)).toBe(0);
    expect(parseDurationMs('-1d')).toBeUndefined();
    expect(parseDurationMs('1h30m')).toBeUndefined();
  });

  it('expires stateless rows past pruneAfter, then the least recently used over maxEntries; never others, never kept ones', () => {
    const now = 1_700_000_000_000;
    const old = statelessSessionKey('openai', 'main');
    const a = statelessSessionKey('openresponses', 'main');
    const b = statelessSessionKey('hook', 'main');
    const c = statelessSessionKey('hook', 'work');
    const index = {
      'agent:main:main': { updatedAt: now - 400 * 24 * HOUR },
      'agent:main:openai-user:bob': { updatedAt: now - 400 * 24 * HOUR },
      'agent:main:hook:github': { updatedAt: now - 400 * 24 * HOUR },
      [old]: { updatedAt: now - 31 * 24 * HOUR },
      [a]: { updatedAt: now - 3 * HOUR },
      [b]: { updatedAt: now - 2 * HOUR },
      [c]: { updatedAt: now - HOUR },
    };
    expect(expiredStatelessKeys(index, DEFAULT_SESSION_MAINTENANCE, now)).toEqual([old]);
    expect(expiredStatelessKeys(index, { mode: 'enforce', pruneAfterMs: 0, maxEntries: 5 }, now)).toEqual([old, a]);
    expect(expiredStatelessKeys(index, { mode: 'enforce', pruneAfterMs: 30 * 24 * HOUR, maxEntries: 5 }, now)).toEqual([old, a]);
    expect(expiredStatelessKeys(index, { mode: 'enforce', pruneAfterMs: 0, maxEntries: 1 }, now, (key) => key === a)).toEqual([old, b, c]);
  });
});
