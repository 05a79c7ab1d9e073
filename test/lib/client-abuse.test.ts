import { afterEach, describe, expect, it } from 'vitest';
import { connectMemory } from '../../lib/memory-transport.js';
import type { Gateway } from '../../lib/gateway.js';
import { call, connectParams, handshake } from '../helpers/connect.js';
import { callOk, memoryPeer } from '../helpers/memory-peer.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { createTestGateway } from '../transports/contract.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

function peerOf(gateway: Gateway): RawPeer {
  const socket = connectMemory(gateway);
  const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
  socket.onmessage = (t) => peer.receive(t);
  socket.onclose = (c, r) => peer.markClosed(c, r);
  return peer;
}

describe('connect field limits (presence amplification)', () => {
  it('refuses oversized client fields by name, so presence and hello-ok stay small', async () => {
    const gateway = createTestGateway();
    gateways.push(gateway);
    await gateway.start();
    const huge = 'x'.repeat(400 * 1024);
    const cases: Array<[string, Parameters<typeof connectParams>[0]]> = [
      ['client.displayName', { client: { id: 'test', version: '1', platform: 'linux', mode: 'test', displayName: huge } }],
      ['client.platform', { client: { id: 'test', version: '1', platform: 'p'.repeat(129), mode: 'test' } }],
      ['userAgent', { userAgent: huge }],
      ['scopes', { scopes: Array.from({ length: 33 }, (_, i) => `scope${i}`) }],
      ['commands', { commands: Array.from({ length: 257 }, (_, i) => `cmd.${i}`) }],
    ];
    for (const [field, overrides] of cases) {
      const peer = peerOf(gateway);
      const res = await handshake(peer, () => connectParams(overrides));
      expect(res.ok, field).toBe(false);
      expect(res.error.code, field).toBe('INVALID_REQUEST');
      expect(res.error.message, field).toContain(field.split('.').pop()!);
    }
    // The limits leave room for real clients: a long but sane name and a full PATH connect.
    const ok = peerOf(gateway);
    const accepted = await handshake(ok, () =>
      connectParams({ client: { id: 'test', version: '2026.1.30', platform: 'linux 6.8.0', mode: 'test', displayName: 'd'.repeat(256) }, pathEnv: '/usr/bin:'.repeat(1500) }),
    );
    expect(accepted.ok).toBe(true);
    const watcher = await memoryPeer(gateway);
    const presence = await callOk(watcher, 'system-presence');
    expect(JSON.stringify(presence).length).toBeLessThan(8 * 1024);
  });
});

describe('health probes', () => {
  it('a probe answers its caller only; other clients see no health event from it', async () => {
    const gateway = createTestGateway();
    gateways.push(gateway);
    await gateway.start();
    const prober = await memoryPeer(gateway);
    const bystander = await memoryPeer(gateway);
    for (let i = 0; i < 5; i++) expect((await callOk(prober, 'health', { probe: true })).ok).toBe(true);
    // Broadcasts are sent synchronously: had the probes broadcast, the events would precede this answer.
    await callOk(bystander, 'system-presence');
    expect(bystander.frames.filter((f) => f.type === 'event' && f.event === 'health')).toEqual([]);
  });
});

describe('unexpected errors', () => {
  it('reach the client as "internal error" with a reference; the real message goes to the log only', async () => {
    const logged: string[] = [];
    const gateway = createTestGateway({ logger: { log: (_level, _subsystem, message) => void logged.push(message) } });
    gateways.push(gateway);
    gateway.use({
      name: 'leaky',
      setup(host) {
        host.registerCustomMethod('leaky.read', { params: { type: 'object' }, scope: 'read' }, () => {
          throw new Error('ENOENT: open /home/ada/.secrets/api-key.txt');
        });
      },
    });
    await gateway.start();
    const peer = await memoryPeer(gateway);
    const res = await call(peer, 'leaky.read', {});
    expect(res.ok).toBe(false);
    expect(res.error).toEqual({ code: 'UNAVAILABLE', message: expect.stringMatching(/^internal error \(ref [0-9a-f]{8}\)$/), details: { correlationId: expect.any(String) } });
    expect(JSON.stringify(res)).not.toContain('secrets');
    const ref = res.error.details.correlationId as string;
    expect(logged.some((line) => line.includes(ref) && line.includes('/home/ada/.secrets/api-key.txt'))).toBe(true);
  });
});
