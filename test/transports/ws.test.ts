import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { GatewayError } from '../../lib/errors.js';
import { WebSocketTransport, type WebSocketTransportOptions } from '../../transports/ws.js';
import { echoSink } from '../helpers/echo-sink.js';

const cleanup: Array<() => unknown> = [];

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function transport(options: Omit<WebSocketTransportOptions, 'sink'>, sink = echoSink().sink): WebSocketTransport {
  const t = new WebSocketTransport({ sink, ...options });
  cleanup.push(() => t.close());
  return t;
}

async function listening(options: Omit<WebSocketTransportOptions, 'sink' | 'port'> = {}) {
  const echo = echoSink();
  const t = transport({ port: 0, host: '127.0.0.1', ...options }, echo.sink);
  const { port } = await t.listen();
  return { ...echo, transport: t, port, url: `ws://127.0.0.1:${port}` };
}

async function hostServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end('host'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { server, port: (server.address() as AddressInfo).port };
}

function client(url: string, options?: WebSocket.ClientOptions): WebSocket {
  const ws = new WebSocket(url, options);
  ws.on('error', () => {});
  cleanup.push(() => ws.terminate());
  return ws;
}

async function connect(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = client(url, options);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return ws;
}

function refusedStatus(url: string, options?: WebSocket.ClientOptions): Promise<number> {
  const ws = client(url, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('upgrade was accepted')));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  });
}

function nextMessage(ws: WebSocket): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ text: String(data), isBinary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(check()).toBe(true);
}

describe('WebSocketTransport options', () => {
  it.each<Omit<WebSocketTransportOptions, 'sink'>>([{}, { port: 0, noServer: true }, { port: 0, server: createServer() }, { server: createServer(), noServer: true }])(
    'throws one TypeError unless exactly one mode is given: %o',
    (options) => {
      expect(() => new WebSocketTransport({ sink: echoSink().sink, ...options })).toThrow(
        new TypeError('One and only one of the "port", "server", or "noServer" options must be specified'),
      );
    },
  );

  it('only listens in port mode', async () => {
    await expect(transport({ noServer: true }).listen()).rejects.toThrow(/port/);
  });
});

describe('WebSocketTransport in port mode', () => {
  it('echoes text frames through the sink and describes the peer', async () => {
    const { url, connections } = await listening();
    const ws = await connect(url, { origin: 'http://localhost:3000', headers: { 'user-agent': 'test-agent' } });
    ws.send('hello');
    expect(await nextMessage(ws)).toEqual({ text: 'hello', isBinary: false });
    expect(connections[0]!.peer).toEqual({
      transport: 'ws',
      remoteAddress: '127.0.0.1',
      local: true,
      origin: 'http://localhost:3000',
      userAgent: 'test-agent',
    });
  });

  it('passes binary frames on as UTF-8 text', async () => {
    const { url } = await listening();
    const ws = await connect(url);
    ws.send(Buffer.from('bïnary', 'utf8'));
    expect(await nextMessage(ws)).toEqual({ text: 'bïnary', isBinary: false });
  });

  it('closes 1009 on a frame over maxPayload without crashing', async () => {
    const { url, closes } = await listening({ maxPayload: 1024 });
    const ws = await connect(url);
    const done = closed(ws);
    ws.send('x'.repeat(2048));
    expect((await done).code).toBe(1009);
    await until(() => closes.length === 1);
  });

  it('forwards close codes and truncates long reasons on a character boundary', async () => {
    const { url, connections, closes } = await listening();
    const ws = await connect(url);
    await until(() => connections.length === 1);
    const done = closed(ws);
    connections[0]!.close(1008, 'é'.repeat(100));
    const { code, reason } = await done;
    expect(code).toBe(1008);
    expect(reason).toBe('é'.repeat(61));
    await until(() => closes.length === 1);
    expect(closes[0]![0]).toBe(1008);
    connections[0]!.send('after close is dropped');
    connections[0]!.close(1000);
  });

  it('reports onclose once when the client goes away', async () => {
    const { url, connections, closes } = await listening();
    const ws = await connect(url);
    await until(() => connections.length === 1);
    ws.close(4000, 'tick timeout');
    await until(() => closes.length === 1);
    expect(closes).toEqual([[4000, 'tick timeout']]);
  });

  it('reports unsent bytes as bufferedAmount', async () => {
    const { url, connections } = await listening();
    const ws = await connect(url, { maxPayload: 64 * 1024 * 1024 });
    await until(() => connections.length === 1);
    // Stop reading so the kernel buffers fill and ws has to hold the rest.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const connection = connections[0]!;
    expect(connection.bufferedAmount).toBe(0);
    connection.send('x'.repeat(16 * 1024 * 1024));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connection.bufferedAmount).toBeGreaterThan(0);
    const message = nextMessage(ws);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await message).text).toHaveLength(16 * 1024 * 1024);
    await until(() => connection.bufferedAmount === 0);
  });

  it('answers plain HTTP with 404 by default, or with the requestHandler', async () => {
    const { port } = await listening();
    const res = await fetch(`http://127.0.0.1:${port}/anything`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('Not Found');

    const custom = await listening({ requestHandler: (_req, r) => r.end('ok') });
    expect(await (await fetch(`http://127.0.0.1:${custom.port}/`)).text()).toBe('ok');
  });

  it('refuses upgrades on other paths with 404 when path is set', async () => {
    const { url } = await listening({ path: '/ws' });
    expect(await refusedStatus(`${url}/other`)).toBe(404);
    const ws = await connect(`${url}/ws?token=1`);
    ws.send('on path');
    expect((await nextMessage(ws)).text).toBe('on path');
  });

  it('refuses an origin the verifier rejects with 403, and one it throws on', async () => {
    const seen: Array<string | undefined> = [];
    const { url, connections } = await listening({
      verifyOrigin: (origin) => {
        seen.push(origin);
        if (origin === 'http://boom') throw new Error('bad origin');
        return origin === undefined || origin === 'http://localhost:5173';
      },
    });
    expect(await refusedStatus(url, { origin: 'https://evil.example' })).toBe(403);
    expect(await refusedStatus(url, { origin: 'http://boom' })).toBe(403);
    await connect(url, { origin: 'http://localhost:5173' });
    await connect(url);
    expect(seen).toEqual(['https://evil.example', 'http://boom', 'http://localhost:5173', undefined]);
    await until(() => connections.length === 2);
  });

  it.each([
    [{ host: 'example.com' }, [], false, '127.0.0.1'],
    [{ host: 'gateway.tail1234.ts.net' }, [], true, '127.0.0.1'],
    [{ 'x-forwarded-for': '127.0.0.1' }, [], false, '127.0.0.1'],
    [{ 'x-forwarded-for': '127.0.0.1' }, ['127.0.0.1'], true, '127.0.0.1'],
    [{ 'x-forwarded-for': '203.0.113.7, 127.0.0.1' }, ['127.0.0.1'], false, '203.0.113.7'],
    [{ 'x-real-ip': '198.51.100.2' }, ['127.0.0.1'], false, '198.51.100.2'],
  ])('detects local peers from headers %o with trusted proxies %o', async (headers, trustedProxies, local, remoteAddress) => {
    const { url, connections } = await listening({ trustedProxies });
    await connect(url, { headers });
    await until(() => connections.length === 1);
    expect(connections[0]!.peer).toMatchObject({ local, remoteAddress });
  });

  it('rejects with ADDRESS_IN_USE when the port is taken', async () => {
    const { port } = await listening();
    const error = await transport({ port, host: '127.0.0.1' }).listen().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'ADDRESS_IN_USE', message: `another gateway instance is already listening on ws://127.0.0.1:${port}` });
  });

  it('binds 127.0.0.1 and ::1 on one port by default, tolerating a missing ::1', async () => {
    const t = transport({ port: 0 });
    const { port, hosts } = await t.listen();
    expect(t.address()).toEqual({ port, hosts });
    expect(hosts[0]).toBe('127.0.0.1');
    for (const host of hosts) {
      const ws = await connect(`ws://${host.includes(':') ? `[${host}]` : host}:${port}`);
      ws.send(host);
      expect((await nextMessage(ws)).text).toBe(host);
    }
  });

  it('skips a later host the machine does not have, but not the first', async () => {
    // 192.0.2.1 (TEST-NET-1) is never assigned to a local interface.
    const { hosts } = await transport({ port: 0, host: ['127.0.0.1', '192.0.2.1'] }).listen();
    expect(hosts).toEqual(['127.0.0.1']);
    await expect(transport({ port: 0, host: ['192.0.2.1', '127.0.0.1'] }).listen()).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' });
  });

  it('close() terminates connections, stops listening and is idempotent', async () => {
    const { url, port, transport: t, connections, closes } = await listening();
    const ws = await connect(url);
    await until(() => connections.length === 1);
    const done = closed(ws);
    const first = t.close();
    expect(t.close()).toBe(first);
    await first;
    expect((await done).code).toBe(1006);
    expect(closes).toEqual([[1006, '']]);
    expect(t.address()).toBeNull();
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await expect(t.listen()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('WebSocketTransport in server mode', () => {
  it('shares a host server, leaving other paths and plain HTTP to the host', async () => {
    const { server, port } = await hostServer();
    const a = echoSink();
    const b = echoSink();
    const ta = transport({ server, path: '/a' }, a.sink);
    transport({ server, path: '/b' }, b.sink);
    expect(server.listenerCount('upgrade')).toBe(2);

    const wa = await connect(`ws://127.0.0.1:${port}/a`);
    const wb = await connect(`ws://127.0.0.1:${port}/b`);
    wa.send('to a');
    wb.send('to b');
    expect((await nextMessage(wa)).text).toBe('to a');
    expect((await nextMessage(wb)).text).toBe('to b');
    expect([a.connections.length, b.connections.length]).toEqual([1, 1]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('host');

    const own = () => {};
    server.on('upgrade', own);
    const aClosed = closed(wa);
    await ta.close();
    await aClosed;
    expect(server.listenerCount('upgrade')).toBe(2);
    expect(server.listeners('upgrade')).toContain(own);
    expect(server.listening).toBe(true);
    wb.send('b still works');
    expect((await nextMessage(wb)).text).toBe('b still works');
  });

  it('answers every frame of one read in one socket write', async () => {
    const { server, port } = await hostServer();
    // Seen before the transport takes the socket: count the writes the server end makes.
    const writes: number[] = [];
    server.prependListener('upgrade', (_req, socket: Socket) => {
      const spied = socket as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
      const write = spied._write.bind(socket);
      const writev = spied._writev.bind(socket);
      spied._write = (...args) => (writes.push(1), write(...args));
      spied._writev = (chunks: unknown, cb: unknown) => (writes.push((chunks as unknown[]).length), writev(chunks, cb));
    });
    transport({ server, path: '/ws' });
    const ws = await connect(`ws://127.0.0.1:${port}/ws`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    writes.length = 0;
    const received: string[] = [];
    const all = new Promise<void>((resolve) => ws.on('message', (data) => received.push(String(data)) === 8 && resolve()));
    // Eight frames in one TCP segment, so the server reads them in one chunk.
    const raw = (ws as unknown as { _socket: Socket })._socket;
    raw.cork();
    for (let i = 0; i < 8; i++) ws.send(`frame ${i}`);
    raw.uncork();
    await all;
    expect(received).toEqual(Array.from({ length: 8 }, (_, i) => `frame ${i}`));
    expect(writes).toHaveLength(1);
  });
});

describe('WebSocketTransport in noServer mode', () => {
  it('accepts upgrades the host routes to handleUpgrade', async () => {
    const { server, port } = await hostServer();
    const { sink, connections } = echoSink();
    const t = transport({ noServer: true, path: '/gw' }, sink);
    server.on('upgrade', (req, socket, head) => {
      if (req.headers['x-auth'] !== 'secret') {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      t.handleUpgrade(req, socket, head);
    });

    expect(await refusedStatus(`ws://127.0.0.1:${port}/gw`)).toBe(401);
    expect(await refusedStatus(`ws://127.0.0.1:${port}/elsewhere`, { headers: { 'x-auth': 'secret' } })).toBe(404);
    const ws = await connect(`ws://127.0.0.1:${port}/gw`, { headers: { 'x-auth': 'secret' } });
    ws.send('routed');
    expect((await nextMessage(ws)).text).toBe('routed');
    expect(connections).toHaveLength(1);

    await t.close();
    expect(await refusedStatus(`ws://127.0.0.1:${port}/gw`, { headers: { 'x-auth': 'secret' } })).toBe(503);
  });
});
