import { describe, expect, it } from 'vitest';
import { PresenceStore } from '../../lib/presence.js';

function store(now: { t: number }, opts: { ttlMs?: number; maxEntries?: number } = {}) {
  return new PresenceStore({ now: () => now.t, ...opts, self: () => ({ host: 'gw', mode: 'gateway', reason: 'self', ts: now.t }) });
}

describe('PresenceStore', () => {
  it('lists self first, then newest first, keyed case-insensitively', () => {
    const now = { t: 1000 };
    const s = store(now);
    s.upsert('Dev-A', { host: 'a' });
    now.t = 2000;
    s.upsert('dev-b', { host: 'b' });
    now.t = 3000;
    s.upsert('DEV-A', { version: '2' });
    expect(s.list().map((e) => e.host)).toEqual(['gw', 'a', 'b']);
    expect(s.get('dev-a')).toMatchObject({ host: 'a', version: '2', ts: 3000 });
  });

  it('expires entries after the TTL and bumps the version', () => {
    const now = { t: 0 };
    const s = store(now, { ttlMs: 100 });
    s.upsert('a', { host: 'a' });
    const v = s.version;
    now.t = 101;
    expect(s.list().map((e) => e.host)).toEqual(['gw']);
    expect(s.version).toBeGreaterThan(v);
  });

  it('caps the number of entries, evicting the stalest', () => {
    const now = { t: 0 };
    const s = store(now, { maxEntries: 3 });
    for (let i = 0; i < 5; i++) {
      now.t = i;
      s.upsert(`k${i}`, { host: `h${i}` });
    }
    expect(s.list().map((e) => e.host)).toEqual(['gw', 'h4', 'h3', 'h2']);
  });

  it('marks a leaving client as disconnected', () => {
    const now = { t: 0 };
    const s = store(now);
    s.upsert('a', { host: 'a', reason: 'connect' });
    now.t = 5;
    expect(s.markDisconnected('A')).toMatchObject({ host: 'a', reason: 'disconnect', ts: 5 });
    expect(s.markDisconnected('missing')).toBeUndefined();
  });
});
