import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsClusterLink } from '../../cluster/nats.js';
import type { ClusterEvent, ClusterPeer } from '../../lib/cluster-link.js';
import type { EventBusEntry } from '../../lib/event-bus.js';
import { GatewayError } from '../../lib/errors.js';
import { connectMemory } from '../../lib/memory-transport.js';
import { connectParams, handshake } from '../helpers/connect.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { createTestGateway } from '../transports/contract.js';
import { HAS_NATS_SERVER, NATS_SKIP_MESSAGE, startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { eventually } from './harness.js';

if (!HAS_NATS_SERVER) console.warn(NATS_SKIP_MESSAGE);

const event = (n: number, source = 'a'): ClusterEvent => ({ event: 'agent', payload: { n }, source });

describe.skipIf(!HAS_NATS_SERVER)('NATS cluster link against a real nats-server -js', () => {
  let server: NatsServer;
  const links: NatsClusterLink[] = [];
  const link = async (instanceId: string, stream = 'T1') => {
    const l = await NatsClusterLink.connect({ url: server.url, stream, instanceId, heartbeatMs: 200 });
    links.push(l);
    return l;
  };

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const l of links) await l.close();
    await server?.close();
  });

  it('every instance sees every event in one order, cursor = stream sequence, and can read a range back', async () => {
    const a = await link('a');
    const b = await link('b');
    expect(a.events.id).toBe(b.events.id);
    const seenA: EventBusEntry<ClusterEvent>[] = [];
    const seenB: EventBusEntry<ClusterEvent>[] = [];
    a.events.subscribe((e) => seenA.push(e));
    b.events.subscribe((e) => seenB.push(e));
    const cursors: number[] = [];
    for (let i = 1; i <= 5; i++) cursors.push(await (i % 2 ? a : b).events.publish(event(i, i % 2 ? 'a' : 'b')));
    expect(cursors).toEqual([1, 2, 3, 4, 5]);
    await eventually(() => seenA.length === 5 && seenB.length === 5, 'both to see five events');
    expect(seenA).toEqual(seenB);
    expect(seenA.map((e) => (e.value.payload as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);

    expect(await b.events.read(2, 4)).toEqual({ entries: seenA.slice(2, 4), complete: true });
    expect((await b.events.read(0, 5, 3)).complete).toBe(false);
    expect(await b.events.read(4, 9)).toEqual({ entries: [], complete: false });
    // A late subscriber from a cursor gets the rest, then live ones.
    const late: number[] = [];
    b.events.subscribe((e) => late.push(e.cursor), { after: 3 });
    await b.events.publish(event(6));
    await eventually(() => late.length === 3, 'late subscriber');
    expect(late).toEqual([4, 5, 6]);
  });

  it('keeps delivering after the server restarts (the stream is on disk)', async () => {
    const a = await link('r1', 'T2');
    const seen: number[] = [];
    a.events.subscribe((e) => seen.push(e.cursor));
    await a.events.publish(event(1));
    await eventually(() => seen.length === 1, 'first event');
    await server.restart();
    const cursor = await eventually(() => a.events.publish(event(2)).catch(() => undefined), 'publish after restart', 20_000);
    expect(cursor).toBe(2);
    await eventually(() => seen.length === 2, 'event after restart', 20_000);
    expect(seen).toEqual([1, 2]);
  }, 40_000);

  it('presence: each instance hears the others, and forgets one that leaves', async () => {
    const a = await link('p-a', 'T3');
    const b = await link('p-b', 'T3');
    const heard: ClusterPeer[] = [];
    b.onPeer((p) => heard.push(p));
    a.announcePresence([{ host: 'gw-a', mode: 'gateway', ts: 1, instanceId: 'p-a' }]);
    b.announcePresence([{ host: 'gw-b', mode: 'gateway', ts: 1, instanceId: 'p-b' }]);
    await eventually(() => a.peers().some((p) => p.instanceId === 'p-b') && b.peers().some((p) => p.instanceId === 'p-a'), 'peers');
    expect(b.peers().find((p) => p.instanceId === 'p-a')!.entries[0]!.host).toBe('gw-a');
    await a.close();
    await eventually(() => !b.peers().some((p) => p.instanceId === 'p-a'), 'a forgotten');
    expect(heard.at(-1)).toMatchObject({ instanceId: 'p-a', entries: [] });
  });

  it('routes a node invoke to the instance serving the node, with its errors as GatewayErrors', async () => {
    const a = await link('i-a', 'T4');
    const b = await link('i-b', 'T4');
    const off = a.serveNode('node/1 *', async (input) => {
      if (input.command === 'fail') throw new GatewayError('INVALID_REQUEST', 'node command not allowed', { details: { command: 'fail' } });
      return { payload: { echoed: input.params }, payloadJSON: null };
    });
    await a.connection.flush();
    await expect(b.invokeNode({ nodeId: 'node/1 *', command: 'echo', params: { x: 1 } })).resolves.toEqual({ payload: { echoed: { x: 1 } }, payloadJSON: null });
    const refused = await b.invokeNode({ nodeId: 'node/1 *', command: 'fail' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ code: 'INVALID_REQUEST', message: 'node command not allowed', details: { command: 'fail' } });
    off();
    await expect(b.invokeNode({ nodeId: 'node/1 *', command: 'echo' })).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { code: 'NOT_CONNECTED' } });
  });

  it('a gateway on the link sends its events through the stream, and to its own clients still when NATS is down', async () => {
    const own = await startNatsServer();
    const l = await NatsClusterLink.connect({ url: own.url, instanceId: 'k-a', heartbeatMs: 200 });
    const gateway = createTestGateway({ cluster: l });
    try {
      await gateway.start();
      const socket = connectMemory(gateway);
      const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
      socket.onmessage = (t) => peer.receive(t);
      socket.onclose = (c, r) => peer.markClosed(c, r);
      expect((await handshake(peer, () => connectParams({ resume: {} }))).ok).toBe(true);
      const agent = (n: number) => gateway.broadcast('agent', { runId: 'r', seq: n, stream: 'assistant', ts: n, data: {} } as never);
      agent(1);
      const first = await peer.waitFor(() => peer.frames.find((f) => f.event === 'agent'), 'event through the stream');
      expect(first.cursor).toBe(1);
      await own.stop();
      agent(2);
      const second = await peer.waitFor(() => peer.frames.find((f) => f.event === 'agent' && f.payload.seq === 2), 'event while NATS is down', 15_000);
      expect(second.cursor).toBeUndefined();
    } finally {
      await gateway.close();
      await l.close();
      await own.close();
    }
  }, 30_000);
});
