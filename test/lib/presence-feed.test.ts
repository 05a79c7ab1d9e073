import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient, PresenceList, PRESENCE_DELTAS_CAP } from '../../lib/client/index.js';
import { Gateway } from '../../lib/gateway.js';
import { HELLO_PRESENCE_LIMIT } from '../../lib/presence-feed.js';
import type { HelloOk, PresenceDeltaEventPayload, PresenceEntry } from '../../lib/protocol/generated/types.js';
import { connectParams, handshake, TOKEN } from '../helpers/connect.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { callOk, openMemoryPeer } from '../helpers/memory-peer.js';
import type { Frame, RawPeer } from '../helpers/raw-peer.js';
import { WebSocketTransport } from '../../transports/ws.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close({ reason: 'test done' });
});

async function startGateway(clock = new ManualClock()): Promise<{ gateway: Gateway; clock: ManualClock }> {
  const gateway = new Gateway({ auth: { mode: 'token', token: TOKEN }, clock, policy: { tickIntervalMs: 3_600_000 } });
  gateways.push(gateway);
  await gateway.start();
  return { gateway, clock };
}

/** A UI client (it is listed in presence) with its own instance id; `caps` as given. */
async function join(gateway: Gateway, name: string, caps?: string[]): Promise<{ peer: RawPeer; hello: HelloOk }> {
  const peer = openMemoryPeer(gateway);
  const res = await handshake(peer, () => connectParams({ client: { id: 'test', version: '1', platform: 'linux', mode: 'ui', instanceId: name }, ...(caps ? { caps } : {}) }));
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  return { peer, hello: res.payload as HelloOk };
}

const events = (peer: RawPeer, name: string): Frame[] => peer.frames.filter((f) => f.type === 'event' && f.event === name);

describe('presence announcements', () => {
  it('coalesce a burst of joins and leaves into one event per window', async () => {
    const { gateway, clock } = await startGateway();
    const { peer: watcher } = await join(gateway, 'watcher');
    await clock.advance(1_000);
    const before = events(watcher, 'presence').length;
    const peers: RawPeer[] = [];
    for (let i = 0; i < 40; i++) peers.push((await join(gateway, `burst-${i}`)).peer);
    for (const peer of peers.slice(0, 10)) peer.close(1000, 'bye');
    await clock.advance(1_000);
    const announced = events(watcher, 'presence').slice(before);
    expect(announced).toHaveLength(1);
    expect((announced[0]!.payload as { presence: PresenceEntry[] }).presence).toHaveLength(42);
  });

  it('hello-ok carries at most 64 entries, newest first; system-presence still lists everyone', async () => {
    const { gateway, clock } = await startGateway();
    for (let i = 0; i < 100; i++) {
      await join(gateway, `ui-${i}`);
      await clock.advance(10);
    }
    const { peer, hello } = await join(gateway, 'late');
    const snapshot = hello.snapshot.presence;
    expect(snapshot).toHaveLength(HELLO_PRESENCE_LIMIT);
    expect(snapshot[0]!.mode).toBe('gateway');
    expect(snapshot[1]!.instanceId).toBe('late');
    expect(snapshot[2]!.instanceId).toBe('ui-99');
    expect(hello.snapshot.presenceKeys).toBeUndefined();
    expect(hello.features.events).not.toContain('presence.delta');
    expect(await callOk(peer, 'system-presence')).toHaveLength(102);
  });

  it('clients that asked for deltas get presence.delta in place of presence (same seq); the others the whole list as before', async () => {
    const { gateway, clock } = await startGateway();
    const plain = await join(gateway, 'plain');
    await clock.advance(10);
    const delta = await join(gateway, 'delta', [PRESENCE_DELTAS_CAP]);
    expect(delta.hello.features.events).toContain('presence.delta');
    expect(delta.hello.snapshot.presenceKeys).toEqual(['', 'delta', 'plain']);
    await clock.advance(1_000);

    const { peer: other } = await join(gateway, 'Other');
    await clock.advance(1_000);
    other.close(1000, 'bye');
    await clock.advance(1_000);

    const full = events(plain.peer, 'presence');
    const deltas = events(delta.peer, 'presence.delta');
    expect(events(delta.peer, 'presence')).toEqual([]);
    expect(deltas.map((f) => f.seq)).toEqual(full.slice(-deltas.length).map((f) => f.seq));
    const [joined, left] = deltas.slice(-2).map((f) => f.payload as PresenceDeltaEventPayload);
    expect(joined!.upserted.map((u) => u.key)).toEqual(['other']);
    expect(joined!.removed).toEqual([]);
    expect(left!.upserted).toEqual([expect.objectContaining({ key: 'other', entry: expect.objectContaining({ reason: 'disconnect' }) })]);
    // The plain client saw whole lists, exactly as before.
    expect((full.at(-1)!.payload as { presence: PresenceEntry[] }).presence.map((e) => e.instanceId)).toEqual([undefined, 'Other', 'delta', 'plain']);
    expect(full.at(-1)!.stateVersion).toEqual(deltas.at(-1)!.stateVersion);
  });

  it('the typed client keeps the same list from deltas as from whole lists, through joins, leaves and expiry', async () => {
    const clock = new ManualClock();
    const gateway = new Gateway({ auth: { mode: 'token', token: TOKEN }, clock, policy: { tickIntervalMs: 3_600_000 }, presence: { ttlMs: 5_000 } });
    gateways.push(gateway);
    await gateway.start();
    const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
    const { port } = await transport.listen();
    try {
      const open = async (instanceId: string, caps?: string[]) => {
        const client = new GatewayClient({ url: `ws://127.0.0.1:${port}`, token: TOKEN, client: { version: '1', platform: 'test', mode: 'ui', instanceId }, caps, reconnect: false });
        const list = new PresenceList(client);
        await client.connect();
        return { client, list };
      };
      const whole = await open('whole');
      const keyed = await open('keyed', [PRESENCE_DELTAS_CAP]);
      const settle = async () => {
        await clock.advance(100);
        await new Promise((resolve) => setTimeout(resolve, 50));
      };
      const others = [];
      for (let i = 0; i < 4; i++) {
        others.push(await open(`n-${i}`));
        await settle();
      }
      await others[1]!.client.close();
      await settle();
      // Past the TTL only the clients that reconnect stay listed; the next change announces it.
      await clock.advance(6_000);
      await others[2]!.client.close();
      await settle();
      const view = (list: PresenceList) => list.list().slice(1).map((e) => [e.instanceId, e.reason]);
      expect(view(keyed.list)).toEqual(view(whole.list));
      expect(view(keyed.list)).toEqual([['n-2', 'disconnect']]);
      for (const { client } of [whole, keyed, others[0]!, others[3]!]) await client.close();
    } finally {
      await transport.close();
    }
  });
});
