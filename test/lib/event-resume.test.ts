import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../lib/gateway.js';
import { connectMemory } from '../../lib/memory-transport.js';
import type { ConnectParams } from '../../lib/protocol/generated/types.js';
import { connectParams, handshake } from '../helpers/connect.js';
import { RawPeer, type Frame } from '../helpers/raw-peer.js';
import { createTestGateway } from '../transports/contract.js';

/** connect.resume on one process: cursors on event frames, and the missed ones replayed after a reconnect. */
const gateways: Gateway[] = [];
const peers: RawPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  for (const gateway of gateways.splice(0)) await gateway.close();
});

async function started(): Promise<Gateway> {
  const gateway = createTestGateway();
  gateways.push(gateway);
  await gateway.start();
  return gateway;
}

async function connect(gateway: Gateway, overrides: Partial<ConnectParams> = {}): Promise<{ peer: RawPeer; hello: Frame }> {
  const socket = connectMemory(gateway);
  const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
  socket.onmessage = (t) => peer.receive(t);
  socket.onclose = (c, r) => peer.markClosed(c, r);
  peers.push(peer);
  const hello = await handshake(peer, () => connectParams(overrides));
  expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
  return { peer, hello };
}

function agentEvent(gateway: Gateway, n: number): void {
  gateway.broadcast('agent', { runId: 'run-1', seq: n, stream: 'assistant', ts: n, data: { text: `part ${n}` } } as never);
}

const agentFrames = (peer: RawPeer) => peer.frames.filter((f) => f.type === 'event' && f.event === 'agent');

describe('connect.resume (one process, in-memory event bus)', () => {
  it('clients without it see exactly today\'s frames: seq, no cursor, no hello-ok.resume', async () => {
    const gateway = await started();
    const { peer, hello } = await connect(gateway);
    expect(hello.payload.resume).toBeUndefined();
    agentEvent(gateway, 1);
    agentEvent(gateway, 2);
    const frames = await peer.waitFor(() => agentFrames(peer).length === 2 && agentFrames(peer), 'two agent events');
    for (const f of frames) expect(Object.keys(f).sort()).toEqual(['event', 'payload', 'seq', 'type']);
    expect(frames[1]!.seq).toBe(frames[0]!.seq + 1);
  });

  it('replays what a client missed after its cursor, in order and without seq, then carries on live', async () => {
    const gateway = await started();
    const first = await connect(gateway, { resume: {} });
    expect(first.hello.payload.resume).toMatchObject({ replayed: 0, complete: true });
    const stream = first.hello.payload.resume.stream as string;
    agentEvent(gateway, 1);
    const [seen] = await first.peer.waitFor(() => agentFrames(first.peer).length === 1 && agentFrames(first.peer), 'first event');
    expect(seen).toMatchObject({ seq: expect.any(Number), cursor: expect.any(Number) });
    first.peer.close();
    await first.peer.waitFor(() => first.peer.closed, 'close');

    agentEvent(gateway, 2);
    agentEvent(gateway, 3);
    const again = await connect(gateway, { resume: { stream, cursor: seen!.cursor } });
    expect(again.hello.payload.resume).toEqual({ stream, cursor: seen!.cursor + 2, replayed: 2, complete: true });
    agentEvent(gateway, 4);
    const frames = await again.peer.waitFor(() => agentFrames(again.peer).length === 3 && agentFrames(again.peer), 'replay then live');
    expect(frames.map((f) => f.payload.seq)).toEqual([2, 3, 4]);
    expect(frames.map((f) => f.cursor)).toEqual([seen!.cursor + 1, seen!.cursor + 2, seen!.cursor + 3]);
    expect(frames[0]!.seq).toBeUndefined();
    expect(frames[2]!.seq).toEqual(expect.any(Number));
    // hello-ok came first: the replay answers the connect, it does not race it.
    expect(again.peer.frames.findIndex((f) => f.type === 'res')).toBeLessThan(again.peer.frames.indexOf(frames[0]!));
  });

  it('a cursor from another stream (a restarted process) or beyond its history is not resumed: complete is false', async () => {
    const gateway = await started();
    agentEvent(gateway, 1);
    const other = await connect(gateway, { resume: { stream: 'memory-some-other-process', cursor: 0 } });
    expect(other.hello.payload.resume).toMatchObject({ replayed: 0, complete: false });
    const ahead = await connect(gateway, { resume: { cursor: 99 } });
    expect(ahead.hello.payload.resume).toMatchObject({ replayed: 0, complete: false });
    agentEvent(gateway, 2);
    // Both still get new events, with cursors.
    await other.peer.waitFor(() => agentFrames(other.peer).some((f) => f.payload.seq === 2 && typeof f.cursor === 'number'), 'live event');
    await ahead.peer.waitFor(() => agentFrames(ahead.peer).some((f) => f.payload.seq === 2), 'live event');
  });

  it('replays only what the client may see', async () => {
    const gateway = await started();
    const { peer, hello } = await connect(gateway, { resume: {}, scopes: ['operator.read'] });
    const cursor = hello.payload.resume.cursor as number;
    peer.close();
    gateway.broadcast('device.pair.requested', { requestId: 'r1', deviceId: 'd1', publicKey: 'k', ts: 1 } as never);
    agentEvent(gateway, 7);
    const again = await connect(gateway, { resume: { stream: hello.payload.resume.stream, cursor }, scopes: ['operator.read'] });
    expect(again.hello.payload.resume).toMatchObject({ replayed: 2, complete: true });
    await again.peer.waitFor(() => agentFrames(again.peer).length === 1, 'agent replayed');
    expect(again.peer.frames.some((f) => f.event === 'device.pair.requested')).toBe(false);
  });
});
