/**
 * Forked by the fan-out section (IPC channel) so that receiving 1,000 frames does not run on the
 * gateway's event loop. Arrival times are process.hrtime.bigint() — CLOCK_MONOTONIC, which is
 * system-wide on Linux/macOS, so the parent can compare them with its own.
 *
 *   → {cmd:'connect', url, kind:'gateway'|'bare', count}   ← {type:'connected', ok, failed, error?, ms}
 *   → {cmd:'arm', marker}                                   ← {type:'armed'} … {type:'round', first, last, count}
 *   → {cmd:'close'}                                         ← {type:'closed'} and exit
 */
import { performance } from 'node:perf_hooks';
import { errorText } from './log.js';
import { connectGateway, openMany, openPeer, type Peer } from './ws-peer.js';

type Command =
  | { cmd: 'connect'; url: string; kind: 'gateway' | 'bare'; count: number }
  | { cmd: 'arm'; marker: string }
  | { cmd: 'close' };

const peers: Peer[] = [];
let marker = Buffer.alloc(0);
let arrivals = 0;
let first = 0n;
let last = 0n;
let armed = false;

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

function onFrame(data: Buffer): void {
  if (!armed || !data.includes(marker)) return;
  last = process.hrtime.bigint();
  if (arrivals++ === 0) first = last;
  if (arrivals === peers.length) {
    armed = false;
    send({ type: 'round', first: first.toString(), last: last.toString(), count: arrivals });
  }
}

async function closeAll(): Promise<void> {
  await Promise.all(peers.map((p) => p.terminate()));
}

/** The parent reports a child that exits early together with the tail of its stderr. */
function fail(what: string, err: unknown): void {
  process.stderr.write(`fanout-clients: ${what} failed: ${errorText(err)}\n`);
  process.exit(1);
}

process.on('message', (message: Command) => {
  (async () => {
    switch (message.cmd) {
      case 'connect': {
        const t0 = performance.now();
        const open = message.kind === 'gateway' ? () => connectGateway(message.url, { mode: 'cli' }).then((h) => h.peer) : () => openPeer(message.url);
        const r = await openMany(message.count, 50, open);
        for (const peer of r.ok) {
          peer.onFrame = onFrame;
          peers.push(peer);
        }
        const err = r.firstError as NodeJS.ErrnoException | undefined;
        send({ type: 'connected', ok: r.ok.length, failed: r.failed, error: err ? `${err.code ? `${err.code}: ` : ''}${err.message}` : undefined, ms: performance.now() - t0 });
        break;
      }
      case 'arm':
        marker = Buffer.from(message.marker);
        arrivals = 0;
        armed = true;
        send({ type: 'armed' });
        break;
      case 'close':
        await closeAll();
        send({ type: 'closed' });
        process.disconnect?.();
        process.exit(0);
    }
  })().catch((err: unknown) => fail(message.cmd, err));
});

// Parent gone: do not linger.
process.on('disconnect', () => {
  closeAll().then(
    () => process.exit(0),
    (err: unknown) => fail('closing after the parent left', err),
  );
});
