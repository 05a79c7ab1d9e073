import { describe, expect, it } from 'vitest';
import { connectMemory } from '../../lib/memory-transport.js';
import { generateDeviceIdentity } from '../../lib/device-identity.js';
import { devicesService } from '../../lib/services.js';
import { call, connectParams, handshake, withDevice } from '../helpers/connect.js';
import { RawPeer } from '../helpers/raw-peer.js';
import type { TransportConnection } from '../../lib/transport.js';
import { createTestGateway, runGatewayContract } from './contract.js';

runGatewayContract('the in-memory transport', async (gateway) => ({
  async open(options) {
    const socket = connectMemory(gateway, { local: options?.local ?? true, remoteAddress: options?.local === false ? '203.0.113.7' : '127.0.0.1' });
    const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
    socket.onmessage = (t) => peer.receive(t);
    socket.onclose = (c, r) => peer.markClosed(c, r);
    return peer;
  },
  async close() {},
}), { supportsRemote: true });

describe('slow consumers (in-memory transport)', () => {
  it('skips droppable events and closes 1008 on the others', async () => {
    const gateway = createTestGateway({ policy: { maxBufferedBytes: 2048, tickIntervalMs: 60_000 } });
    await gateway.start();
    const socket = connectMemory(gateway);
    const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
    socket.onmessage = (t) => peer.receive(t);
    socket.onclose = (c, r) => peer.markClosed(c, r);
    expect((await handshake(peer)).ok).toBe(true);

    socket.pause();
    // Presence and tick are droppable: once over the limit they are skipped, the socket stays.
    for (let i = 0; i < 40; i++) gateway.broadcast('tick', { ts: i });
    const droppedFrom = peer.frames.length;
    // shutdown is not droppable: the slow consumer gets closed instead.
    gateway.broadcast('device.pair.resolved', { requestId: 'r', deviceId: 'd', decision: 'approved', ts: 1 });
    socket.resume();
    const closed = await peer.waitClosed();
    expect(closed).toEqual({ code: 1008, reason: 'slow consumer' });
    const ticks = peer.frames.slice(droppedFrom - 1).filter((f) => f.event === 'tick');
    expect(ticks.length).toBeLessThan(40);
    expect(peer.frames.some((f) => f.event === 'device.pair.resolved')).toBe(false);
    await gateway.close();
  });

  it('closes 1009 on a frame over maxPayload', async () => {
    const gateway = createTestGateway({ policy: { maxPayload: 1024 } });
    await gateway.start();
    const socket = connectMemory(gateway);
    const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
    socket.onmessage = (t) => peer.receive(t);
    socket.onclose = (c, r) => peer.markClosed(c, r);
    await peer.challenge();
    peer.sendText(JSON.stringify({ type: 'req', id: '1', method: 'connect', params: { pad: 'x'.repeat(2000) } }));
    expect((await peer.waitClosed()).code).toBe(1009);
    await gateway.close();
  });
});

describe('presence bursts (in-memory transport)', () => {
  it('collapses a reconnect storm into a few presence events', async () => {
    const gateway = createTestGateway();
    await gateway.start();
    const open = () => {
      const socket = connectMemory(gateway);
      const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
      socket.onmessage = (t) => peer.receive(t);
      socket.onclose = (c, r) => peer.markClosed(c, r);
      return peer;
    };
    const watcher = open();
    expect((await handshake(watcher)).ok).toBe(true);
    const storm = Array.from({ length: 30 }, (_, i) => {
      const peer = open();
      return handshake(peer, () => connectParams({ client: { id: 'test', version: '1', platform: 'linux', mode: 'ui', instanceId: `storm-${i}` } }));
    });
    expect((await Promise.all(storm)).every((r) => r.ok)).toBe(true);
    const last = await watcher.event('presence', (f) => f.payload.presence.filter((p: any) => p.instanceId?.startsWith('storm-')).length === 30);
    const presenceEvents = watcher.frames.filter((f) => f.event === 'presence');
    expect(presenceEvents.length).toBeLessThan(5);
    expect(last.stateVersion.presence).toBeGreaterThanOrEqual(30);
    await gateway.close();
  });
});

describe('concurrent first connects of one local device', () => {
  it('auto-approves once and lets every connection in', async () => {
    const gateway = createTestGateway();
    await gateway.start();
    const identity = generateDeviceIdentity();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => {
        const socket = connectMemory(gateway);
        const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
        socket.onmessage = (t) => peer.receive(t);
        socket.onclose = (c, r) => peer.markClosed(c, r);
        return handshake(peer, (nonce) => withDevice(connectParams(), nonce, { identity }));
      }),
    );
    expect(results.map((r) => r.ok)).toEqual(Array(8).fill(true));
    expect(gateway.service(devicesService).listPaired().map((d) => d.deviceId)).toEqual([identity.deviceId]);
    await gateway.close();
  });
});

describe('review regressions (in-memory transport)', () => {
  function open(gateway: ReturnType<typeof createTestGateway>, local = true) {
    const socket = connectMemory(gateway, { local, remoteAddress: local ? '127.0.0.1' : '203.0.113.9' });
    const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
    socket.onmessage = (t) => peer.receive(t);
    socket.onclose = (c, r) => peer.markClosed(c, r);
    return peer;
  }

  it('announces a retrying unpaired device once', async () => {
    const gateway = createTestGateway();
    await gateway.start();
    const admin = open(gateway);
    expect((await handshake(admin)).ok).toBe(true);
    const identity = generateDeviceIdentity();
    for (let i = 0; i < 3; i++) {
      const res = await handshake(open(gateway, false), (nonce) => withDevice(connectParams(), nonce, { identity }));
      expect(res.error.message).toBe('pairing required');
    }
    expect((await call(admin, 'health')).ok).toBe(true);
    expect(admin.frames.filter((f) => f.event === 'device.pair.requested')).toHaveLength(1);
    await gateway.close();
  });

  it('keeps a client present while another connection with the same key in other case leaves', async () => {
    const gateway = createTestGateway();
    await gateway.start();
    const client = (instanceId: string) =>
      connectParams({ client: { id: 'test', version: '1', platform: 'linux', mode: 'ui', instanceId } });
    const a = open(gateway);
    const b = open(gateway);
    expect((await handshake(a, () => client('Tab-1'))).ok).toBe(true);
    expect((await handshake(b, () => client('tab-1'))).ok).toBe(true);
    b.close();
    await b.waitClosed();
    const presence = await call(a, 'system-presence');
    expect(presence.payload.find((p: any) => p.instanceId?.toLowerCase() === 'tab-1')?.reason).toBe('connect');
    await gateway.close();
  });

  it('closes a peer that floods frames while its connect is being checked', async () => {
    const gateway = createTestGateway();
    await gateway.start();
    const peer = open(gateway);
    const { nonce } = await peer.challenge();
    peer.send({ type: 'req', id: 'c', method: 'connect', params: withDevice(connectParams(), nonce) });
    for (let i = 0; i < 40; i++) peer.send({ type: 'req', id: `f${i}`, method: 'health' });
    expect(await peer.waitClosed()).toEqual({ code: 1008, reason: 'too many frames before hello-ok' });
    await gateway.close();
  });
});

/**
 * A transport whose close completes later, as a WebSocket's closing handshake does: frames the
 * peer sent before it saw the close still arrive after the gateway decided to close it.
 */
class LaggingTransport implements TransportConnection {
  readonly peer = { transport: 'lagging', local: true, remoteAddress: '127.0.0.1' };
  readonly sent: string[] = [];
  bufferedAmount = 0;
  closedWith?: [number, string | undefined];
  onmessage?: (data: string) => void;
  onclose?: (code: number, reason: string) => void;
  send(data: string): void {
    this.sent.push(data);
  }
  close(code: number, reason?: string): void {
    this.closedWith ??= [code, reason];
  }
}

describe('a closed slow consumer', () => {
  it('has none of the requests that arrive after its close run, and is logged once', async () => {
    const warnings: string[] = [];
    const gateway = createTestGateway({ policy: { maxBufferedBytes: 2048, tickIntervalMs: 60_000 }, logger: { log: (level, _s, message) => void (level === 'warn' && warnings.push(message)) } });
    let runs = 0;
    gateway.use({
      name: 'counter',
      setup(host) {
        host.registerCustomMethod('counter.bump', { params: { type: 'object' }, scope: 'read' }, () => ({ runs: ++runs }));
      },
    });
    await gateway.start();
    const transport = new LaggingTransport();
    gateway.accept(transport);
    expect(transport.sent[0]).toContain('"connect.challenge"');
    transport.onmessage!(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams({}) }));
    await expect.poll(() => transport.sent.some((t) => t.includes('"hello-ok"'))).toBe(true);

    // The peer stops reading; the next frame that is not droppable closes it as a slow consumer.
    transport.bufferedAmount = 10_000;
    gateway.broadcast('device.pair.resolved', { requestId: 'r', deviceId: 'd', decision: 'approved', ts: 1 });
    expect(transport.closedWith).toEqual([1008, 'slow consumer']);
    // Its close has not completed yet; what it sent meanwhile must not run, nor log again.
    for (let i = 0; i < 20; i++) transport.onmessage!(JSON.stringify({ type: 'req', id: `late-${i}`, method: 'counter.bump', params: {} }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(0);
    expect(warnings.filter((w) => w === 'slow consumer closed')).toHaveLength(1);
    transport.onclose!(1008, 'slow consumer');
    await gateway.close();
  });
});
