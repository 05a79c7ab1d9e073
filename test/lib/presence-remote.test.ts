import { describe, expect, it } from 'vitest';
import { PresenceStore } from '../../lib/presence.js';

/** Other cluster instances' presence, merged into what this one lists. */
describe('PresenceStore with remote instances', () => {
  const store = (now: { t: number }, changes: { n: number }) =>
    new PresenceStore({ now: () => now.t, onChange: () => changes.n++, self: () => ({ host: 'gw-a', mode: 'gateway', reason: 'self', ts: now.t }) });

  it('lists peers\' entries after its own, a device seen on two instances once (its newest entry), and forgets a peer that left', () => {
    const now = { t: 1000 };
    const changes = { n: 0 };
    const presence = store(now, changes);
    presence.upsert('dev-1', { host: 'phone', deviceId: 'dev-1', reason: 'disconnect', ts: 900 });
    presence.upsert('local-only', { host: 'laptop', instanceId: 'laptop-1', reason: 'connect', ts: 950 });
    const before = { version: presence.version, changes: changes.n };
    presence.setRemote('gw-b', [
      { host: 'gw-b', mode: 'gateway', reason: 'self', instanceId: 'gw-b', ts: 990 },
      { host: 'phone', deviceId: 'DEV-1', reason: 'connect', ts: 980 },
    ]);
    expect(presence.version).toBeGreaterThan(before.version);
    expect(changes.n).toBe(before.changes + 1);
    expect(presence.list().map((e) => `${e.host}:${e.reason}`)).toEqual(['gw-a:self', 'gw-b:self', 'phone:connect', 'laptop:connect']);
    // What this instance announces stays its own.
    expect(presence.localList().map((e) => e.host)).toEqual(['gw-a', 'laptop', 'phone']);

    presence.setRemote('gw-b', []);
    expect(presence.list().map((e) => `${e.host}:${e.reason}`)).toEqual(['gw-a:self', 'laptop:connect', 'phone:disconnect']);
    const settled = changes.n;
    presence.setRemote('gw-unknown', []);
    expect(changes.n).toBe(settled);
  });
});
