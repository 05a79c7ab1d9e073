import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../lib/gateway.js';
import type { TransportConnection } from '../../lib/transport.js';
import { connectParams } from '../helpers/connect.js';
import { createTestGateway } from '../transports/contract.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
});

/** A transport end that records what the gateway sends, so a test can look within the same turn. */
function recordingConnection(): TransportConnection & { sent: Array<Record<string, unknown>> } {
  const sent: Array<Record<string, unknown>> = [];
  return { peer: { transport: 'test', local: true }, bufferedAmount: 0, sent, send: (text) => sent.push(JSON.parse(text) as Record<string, unknown>), close() {} };
}

async function handshaken(gateway: Gateway) {
  const conn = recordingConnection();
  gateway.accept(conn);
  conn.onmessage!(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams() }));
  for (let i = 0; i < 200 && !conn.sent.some((f) => f.id === 'c'); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(conn.sent.find((f) => f.id === 'c')?.ok).toBe(true);
  conn.sent.length = 0;
  return conn;
}

async function started(setup: (gateway: Gateway) => void): Promise<Gateway> {
  const gateway = createTestGateway({ plugins: [] });
  gateways.push(gateway);
  setup(gateway);
  await gateway.start();
  return gateway;
}

describe('request dispatch', () => {
  it('answers a synchronous handler within the turn that delivered the frame, an async one after it', async () => {
    const gateway = await started((g) => {
      g.registerCustomMethod('test.sync', { params: { type: 'object' }, scope: 'read' }, () => ({ n: 1 }));
      g.registerCustomMethod('test.async', { params: { type: 'object' }, scope: 'read' }, async () => ({ n: 2 }));
    });
    const conn = await handshaken(gateway);
    conn.onmessage!('{"type":"req","id":"1","method":"test.sync","params":{}}');
    expect(conn.sent).toEqual([{ type: 'res', id: '1', ok: true, payload: { n: 1 } }]);
    conn.onmessage!('{"type":"req","id":"2","method":"test.async","params":{}}');
    expect(conn.sent).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(conn.sent[1]).toEqual({ type: 'res', id: '2', ok: true, payload: { n: 2 } });
  });

  it('answers a result that cannot be serialized, a throw and a rejection as errors, and counts each once', async () => {
    const gateway = await started((g) => {
      g.registerCustomMethod('test.bigint', { params: { type: 'object' }, scope: 'read' }, () => ({ n: 1n }));
      g.registerCustomMethod('test.throws', { params: { type: 'object' }, scope: 'read' }, () => {
        throw new Error('secret path /etc/x');
      });
      g.registerCustomMethod('test.rejects', { params: { type: 'object' }, scope: 'read' }, () => Promise.reject(new Error('boom')));
    });
    const errors: string[] = [];
    gateway.on('error', (err) => errors.push(err.message));
    const completed: string[] = [];
    gateway.on('request-completed', ({ method, outcome }) => completed.push(`${method} ${outcome}`));
    const conn = await handshaken(gateway);
    for (const [id, method] of [['1', 'test.bigint'], ['2', 'test.throws'], ['3', 'test.rejects']]) conn.onmessage!(JSON.stringify({ type: 'req', id, method, params: {} }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(conn.sent.map((f) => [f.id, f.ok, (f.error as { code?: string; message?: string }).code])).toEqual([
      ['1', false, 'UNAVAILABLE'],
      ['2', false, 'UNAVAILABLE'],
      ['3', false, 'UNAVAILABLE'],
    ]);
    expect(JSON.stringify(conn.sent)).not.toContain('secret path');
    expect(errors).toHaveLength(3);
    expect(completed).toEqual(['test.bigint UNAVAILABLE', 'test.throws UNAVAILABLE', 'test.rejects UNAVAILABLE']);
    expect(gateway.activeRequests(60_000).every((r) => !r.running)).toBe(true);
  });

  it('serializes the cached health summary once, and never lets it change under the cache', async () => {
    const gateway = createTestGateway();
    gateways.push(gateway);
    await gateway.start();
    const conn = await handshaken(gateway);
    conn.onmessage!('{"type":"req","id":"1","method":"health","params":{}}');
    conn.onmessage!('{"type":"req","id":"2","method":"health","params":{}}');
    const [first, second] = conn.sent;
    expect(first?.payload).toEqual(second?.payload);
    const health = gateway.call('health', {}) as Promise<{ ok: boolean }>;
    const summary = await health;
    expect(Object.isFrozen(summary)).toBe(true);
    expect(() => {
      (summary as { ok: boolean }).ok = false;
    }).toThrow(TypeError);
    conn.onmessage!('{"type":"req","id":"3","method":"health","params":{"probe":true}}');
    await new Promise((resolve) => setImmediate(resolve));
    expect((conn.sent[2]?.payload as { ts: number }).ts).toBeGreaterThanOrEqual((first?.payload as { ts: number }).ts);
  });
});

describe('hello-ok features', () => {
  it('advertise a method registered or removed after start to the next client', async () => {
    const gateway = await started(() => {});
    const helloMethods = async () => {
      const conn = recordingConnection();
      gateway.accept(conn);
      conn.onmessage!(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams() }));
      for (let i = 0; i < 200 && !conn.sent.some((f) => f.id === 'c'); i++) await new Promise((resolve) => setTimeout(resolve, 5));
      return ((conn.sent.find((f) => f.id === 'c')?.payload as { features: { methods: string[] } }).features.methods);
    };
    expect(await helloMethods()).not.toContain('test.late');
    const off = gateway.registerCustomMethod('test.late', { params: { type: 'object' }, scope: 'read' }, () => ({}));
    expect(await helloMethods()).toContain('test.late');
    off();
    expect(await helloMethods()).not.toContain('test.late');
  });
});
