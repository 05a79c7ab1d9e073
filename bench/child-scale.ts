/**
 * A server child for the 10,000-connection section: `gateway` (Gateway + WebSocketTransport, as
 * bench/child-gateway.ts) or `bare` (a plain `ws` server, the floor), on 127.0.0.1:0 with the port
 * as the first stdout line. stdin commands, one per line, each answered with one JSON line:
 *   mem       → process.memoryUsage() after two full GCs (run with --expose-gc), plus connections
 *   tick <ts> → sends {type:'event',event:'tick',payload:{ts},seq} to every connection;
 *               answers {t0, t1} (process.hrtime.bigint() before and after the send loop)
 *   exit      → closes everything and exits (stdin EOF does the same)
 */
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';
import { Gateway } from '../lib/index.js';
import { WebSocketTransport } from '../transports/ws.js';
import { errorText } from './log.js';
import { sessionCounter } from './servers.js';
import { BENCH_TOKEN } from './ws-peer.js';

interface Server {
  port: number;
  connections(): number;
  tick(ts: number): void;
  close(): Promise<void>;
}

async function gatewayServer(): Promise<Server> {
  const gateway = new Gateway({ auth: { mode: 'token', token: BENCH_TOKEN } });
  const live = sessionCounter(gateway);
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const { port } = await transport.listen();
  return {
    port,
    connections: live,
    tick: (ts) => gateway.broadcast('tick', { ts }),
    close: async () => {
      await gateway.close({ reason: 'bench done' });
      await transport.close();
    },
  };
}

async function bareServer(): Promise<Server> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => ws.on('error', () => {}));
  let seq = 0;
  return {
    port: (wss.address() as { port: number }).port,
    connections: () => wss.clients.size,
    // The same frame the gateway sends, serialized once, as a broadcast should be.
    tick: (ts) => {
      const text = JSON.stringify({ type: 'event', event: 'tick', payload: { ts }, seq: ++seq });
      for (const ws of wss.clients) ws.send(text);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

const server = process.argv[2] === 'bare' ? await bareServer() : await gatewayServer();
process.stdout.write(JSON.stringify({ port: server.port, gc: typeof globalThis.gc === 'function' }) + '\n');

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`child-scale: closing failed: ${errorText(err)}\n`);
      process.exit(1);
    },
  );
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'mem') {
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, connections: server.connections() }) + '\n');
  } else if (cmd === 'tick') {
    const t0 = process.hrtime.bigint();
    server.tick(Number(arg));
    const t1 = process.hrtime.bigint();
    process.stdout.write(JSON.stringify({ t0: t0.toString(), t1: t1.toString() }) + '\n');
  } else if (cmd === 'exit') {
    stop();
  }
});
lines.on('close', stop);
