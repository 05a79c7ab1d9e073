import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Gateway } from '../../lib/gateway.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { connectParams } from '../helpers/connect.js';
import { createTestGateway } from './contract.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('answers a pipelined burst whose answers outgrow the slow-consumer limit without calling the reader slow', async () => {
  const gateway: Gateway = createTestGateway({ plugins: [], policy: { tickIntervalMs: 60_000, maxBufferedBytes: 256 * 1024 } });
  const big = 'x'.repeat(64 * 1024);
  gateway.registerCustomMethod('test.big', { params: { type: 'object' }, scope: 'read' }, () => ({ big }));
  await gateway.start();
  cleanup.push(() => gateway.close());
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const { port } = await transport.listen();
  cleanup.push(() => transport.close());

  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  cleanup.push(() => ws.terminate());
  const frames: Array<{ id?: string; ok?: boolean }> = [];
  let closed: number | undefined;
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as { id?: string }));
  ws.on('close', (code) => (closed = code));
  await new Promise((resolve) => ws.once('open', resolve));
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  await until(() => frames.length === 1);
  ws.send(JSON.stringify({ type: 'req', id: 'c', method: 'connect', params: connectParams() }));
  await until(() => frames.some((f) => f.id === 'c'));
  expect(frames.find((f) => f.id === 'c')?.ok).toBe(true);

  // 20 requests in one segment: 1.3 MB of answers to one read, five times the limit.
  const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
  raw.cork();
  for (let i = 0; i < 20; i++) ws.send(JSON.stringify({ type: 'req', id: `b${i}`, method: 'test.big', params: {} }));
  raw.uncork();
  await until(() => frames.filter((f) => f.id?.startsWith('b')).length === 20 || closed !== undefined);
  expect(closed).toBeUndefined();
  expect(frames.filter((f) => f.id?.startsWith('b') && f.ok)).toHaveLength(20);
});
