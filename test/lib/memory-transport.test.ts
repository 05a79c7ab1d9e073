import { describe, expect, it } from 'vitest';
import { MemoryClientSocket, connectMemory, createMemoryPair } from '../../lib/memory-transport.js';
import type { ConnectionSink, TransportConnection } from '../../lib/transport.js';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function record(client: MemoryClientSocket) {
  const received: string[] = [];
  const closes: Array<[number, string]> = [];
  client.onmessage = (data) => received.push(data);
  client.onclose = (code, reason) => closes.push([code, reason]);
  return { received, closes };
}

function recordServer(server: TransportConnection) {
  const received: string[] = [];
  const closes: Array<[number, string]> = [];
  server.onmessage = (data) => received.push(data);
  server.onclose = (code, reason) => closes.push([code, reason]);
  return { received, closes };
}

describe('createMemoryPair', () => {
  it('describes the server end as a local memory peer by default', () => {
    expect(createMemoryPair().server.peer).toEqual({ transport: 'memory', local: true });
    expect(createMemoryPair({ local: false, remoteAddress: '203.0.113.7', origin: 'https://x', userAgent: 'ua' }).server.peer).toEqual({
      transport: 'memory',
      local: false,
      remoteAddress: '203.0.113.7',
      origin: 'https://x',
      userAgent: 'ua',
    });
  });

  it('delivers frames asynchronously and in order, both ways', async () => {
    const { server, client } = createMemoryPair();
    const s = recordServer(server);
    const c = record(client);
    client.send('a');
    client.send('b');
    server.send('x');
    server.send('y');
    expect(s.received).toEqual([]);
    expect(c.received).toEqual([]);
    await tick();
    expect(s.received).toEqual(['a', 'b']);
    expect(c.received).toEqual(['x', 'y']);
    expect(client.readyState).toBe(MemoryClientSocket.OPEN);
  });

  it('closes both ends once when the client closes, after frames already sent', async () => {
    const { server, client } = createMemoryPair();
    const s = recordServer(server);
    const c = record(client);
    client.send('last');
    client.close(4001, 'bye');
    client.close(1000);
    expect(client.readyState).toBe(MemoryClientSocket.CLOSING);
    client.send('dropped');
    server.send('dropped too');
    await tick();
    expect(s.received).toEqual(['last']);
    expect(s.closes).toEqual([[4001, 'bye']]);
    expect(c.closes).toEqual([[4001, 'bye']]);
    expect(c.received).toEqual([]);
    expect(client.readyState).toBe(MemoryClientSocket.CLOSED);
    server.close(1000);
    await tick();
    expect(s.closes).toHaveLength(1);
  });

  it('closes both ends once when the server closes, after frames already sent', async () => {
    const { server, client } = createMemoryPair();
    const s = recordServer(server);
    const c = record(client);
    server.send('before');
    server.close(1008, 'slow consumer');
    server.close(1000);
    server.send('after');
    client.send('ignored');
    await tick();
    expect(c.received).toEqual(['before']);
    expect(c.closes).toEqual([[1008, 'slow consumer']]);
    expect(s.closes).toEqual([[1008, 'slow consumer']]);
    expect(s.received).toEqual([]);
    client.close();
    await tick();
    expect(c.closes).toHaveLength(1);
  });

  it('counts frames queued for a paused client in bufferedAmount and drains them on resume', async () => {
    const { server, client } = createMemoryPair();
    const c = record(client);
    server.send('early');
    expect(server.bufferedAmount).toBe(0);
    client.pause();
    server.send('één');
    server.send('two');
    expect(server.bufferedAmount).toBe(Buffer.byteLength('één') + 3);
    await tick();
    expect(c.received).toEqual(['early']);
    client.resume();
    server.send('three');
    expect(c.received).toEqual(['early']);
    await tick();
    expect(c.received).toEqual(['early', 'één', 'two', 'three']);
    expect(server.bufferedAmount).toBe(0);
  });

  it('keeps order when the client pauses again while draining', async () => {
    const { server, client } = createMemoryPair();
    const received: string[] = [];
    client.onmessage = (data) => {
      received.push(data);
      if (data === '1') client.pause();
    };
    client.pause();
    server.send('1');
    server.send('2');
    client.resume();
    await tick();
    expect(received).toEqual(['1']);
    server.send('3');
    expect(server.bufferedAmount).toBe(2);
    client.resume();
    await tick();
    expect(received).toEqual(['1', '2', '3']);
  });

  it('delivers a server close to a paused client only after the queued frames', async () => {
    const { server, client } = createMemoryPair();
    const s = recordServer(server);
    const c = record(client);
    client.pause();
    server.send('queued');
    server.close(1008, 'slow consumer');
    await tick();
    expect(s.closes).toEqual([[1008, 'slow consumer']]);
    expect(c.closes).toEqual([]);
    expect(client.readyState).toBe(MemoryClientSocket.OPEN);
    client.resume();
    await tick();
    expect(c.received).toEqual(['queued']);
    expect(c.closes).toEqual([[1008, 'slow consumer']]);
    expect(client.readyState).toBe(MemoryClientSocket.CLOSED);
  });

  it('discards frames a paused client never read when it closes', async () => {
    const { server, client } = createMemoryPair();
    const c = record(client);
    client.pause();
    server.send('unread');
    client.close(1000, '');
    expect(server.bufferedAmount).toBe(0);
    client.resume();
    await tick();
    expect(c.received).toEqual([]);
    expect(c.closes).toEqual([[1000, '']]);
  });
});

describe('connectMemory', () => {
  it('hands the server end to the sink and returns the client end', async () => {
    const accepted: TransportConnection[] = [];
    const echo: ConnectionSink = {
      accept(connection) {
        accepted.push(connection);
        connection.onmessage = (data) => connection.send(data);
      },
    };
    const client = connectMemory(echo, { local: false });
    const c = record(client);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.peer.local).toBe(false);
    client.send('ping');
    await tick();
    expect(c.received).toEqual(['ping']);
  });
});
