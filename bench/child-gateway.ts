/**
 * Bench-owned gateway child: Gateway + WebSocketTransport on 127.0.0.1:0, port printed as the
 * first stdout line (`{"port":N}`). stdin commands, one per line, each answered with one JSON line:
 *   mem   → process.memoryUsage() after global.gc() (run with --expose-gc), plus live sessions
 *   exit  → closes everything and exits (stdin EOF does the same)
 */
import { createInterface } from 'node:readline';
import { Gateway } from '../lib/index.js';
import { WebSocketTransport } from '../transports/ws.js';
import { errorText } from './log.js';
import { sessionCounter } from './servers.js';
import { BENCH_TOKEN } from './ws-peer.js';

const gateway = new Gateway({ auth: { mode: 'token', token: process.env.BENCH_GATEWAY_TOKEN ?? BENCH_TOKEN } });
const liveSessions = sessionCounter(gateway);
await gateway.start();
const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
const { port } = await transport.listen();
process.stdout.write(JSON.stringify({ port, gc: typeof globalThis.gc === 'function' }) + '\n');

let stopping = false;
/** Closes everything and exits; a failed close exits non-zero with the reason on stderr. */
function stop(): void {
  if (stopping) return;
  stopping = true;
  gateway
    .close({ reason: 'bench done' })
    .then(() => transport.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`child-gateway: closing failed: ${errorText(err)}\n`);
        process.exit(1);
      },
    );
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'mem') {
    globalThis.gc?.();
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.stdout.write(
      JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, sessions: liveSessions() }) +
        '\n',
    );
  } else if (cmd === 'exit') {
    stop();
  }
});
lines.on('close', stop);
