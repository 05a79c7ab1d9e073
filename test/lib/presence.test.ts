import { describe, expect, it } from 'vitest';
import { Gateway } from '../../lib/gateway.js';
import { PresenceStore } from '../../lib/presence.js';
import { callOk, memoryPeer, openMemoryPeer } from '../helpers/memory-peer.js';
import { connectParams, handshake, TOKEN } from '../helpers/connect.js';

function store(now: { t: number }, opts: { ttlMs?: number; maxEntries?: number; maxBytes?: number } = {}) {
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

  it('keeps the whole list within its byte budget, evicting the stalest, and cuts oversized fields', () => {
    const now = { t: 0 };
    const s = store(now, { maxBytes: 50_000 });
    for (let i = 0; i < 100; i++) {
      now.t = i;
      s.upsert(`k${i}`, { host: `h${i}`, text: 'x'.repeat(500_000), tags: Array.from({ length: 1000 }, () => 'y'.repeat(1000)) });
    }
    const list = s.list();
    expect(JSON.stringify(list.slice(1)).length).toBeLessThanOrEqual(50_000);
    expect(list[1]!.host).toBe('h99');
    expect(list[1]!.text!.length).toBe(2048);
    expect(list[1]!.tags).toHaveLength(32);
    expect(list[1]!.tags![0]).toHaveLength(256);
  });
});

describe('presence amplification', () => {
  it('keeps hello-ok and presence events small however many clients with maximal fields come and go', async () => {
    const gateway = new Gateway({ auth: { mode: 'token', token: TOKEN }, presenceDebounceMs: 0 });
    await gateway.start();
    try {
      const watcher = await memoryPeer(gateway);
      const long = (n: number) => 'é'.repeat(n / 2);
      for (let i = 0; i < 300; i++) {
        const peer = openMemoryPeer(gateway);
        const res = await handshake(peer, () =>
          connectParams({
            client: { id: 'test', version: long(64), platform: long(128), mode: 'test', displayName: `${i}${long(250)}`, deviceFamily: long(64), modelIdentifier: long(128), instanceId: `i${i}-${long(120)}` },
            scopes: Array.from({ length: 32 }, (_, j) => `s${j}${'z'.repeat(60)}`),
          }),
        );
        expect(res.ok, JSON.stringify(res.error)).toBe(true);
        peer.close(1000, 'bye');
      }
      // Presence events are debounced on a timer: let it fire.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const presence = await callOk(watcher, 'system-presence');
      expect(JSON.stringify(presence).length).toBeLessThan(140 * 1024);
      const late = await memoryPeer(gateway);
      const hello = late.frames.find((f) => f.type === 'res' && f.ok)!;
      expect(JSON.stringify(hello).length).toBeLessThan(160 * 1024);
      const events = watcher.frames.filter((f) => f.event === 'presence');
      expect(events.length).toBeGreaterThan(0);
      for (const event of events) expect(JSON.stringify(event).length).toBeLessThan(160 * 1024);
    } finally {
      await gateway.close();
    }
  });
});
