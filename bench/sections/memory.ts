import { fileURLToPath } from 'node:url';
import type { Cleanup } from '../log.js';
import { progress, sleep } from '../log.js';
import { LineChannel, spawn, stopChild, tailOf } from '../child.js';
import { linearTrend, median, round } from '../stats.js';
import { connectGateway, openMany, type Peer } from '../ws-peer.js';
import { fdLimit } from '../system.js';

const N = 1_000;
const STEPS = [250, 500, 750, 1_000];
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));


interface Mem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  sessions: number;
}

export async function memorySection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/child-gateway.ts'], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr = tailOf(child);
  cleanup.add('memory child', () => stopChild(child));
  const channel = new LineChannel(child);
  cleanup.add('memory child stdout', () => channel.close());

  let ready: { port: number; gc: boolean };
  try {
    ready = JSON.parse(await channel.next(20_000, 'child-gateway start')) as { port: number; gc: boolean };
  } catch (err) {
    throw new Error(`${(err as Error).message}${stderr() ? `; stderr: ${stderr()}` : ''}`);
  }
  const url = `ws://127.0.0.1:${ready.port}`;

  /** Median of three samples, each after two full GCs in the child. */
  const sample = async (): Promise<Mem> => {
    const runs: Mem[] = [];
    for (let i = 0; i < 3; i++) {
      runs.push(JSON.parse(await channel.request('mem', 10_000)) as Mem);
      await sleep(50);
    }
    const pick = (k: keyof Mem) => median(runs.map((r) => r[k]));
    return { rss: pick('rss'), heapUsed: pick('heapUsed'), heapTotal: pick('heapTotal'), external: pick('external'), arrayBuffers: pick('arrayBuffers'), sessions: pick('sessions') };
  };

  const peers: Peer[] = [];
  cleanup.add('memory clients', () => Promise.all(peers.map((p) => p.terminate())));
  const open = async (count: number) => {
    const r = await openMany(count, 50, () => connectGateway(url, { mode: 'cli' }));
    peers.push(...r.ok.map((h) => h.peer));
    if (r.failed) {
      const code = (r.firstError as NodeJS.ErrnoException | undefined)?.code;
      throw new Error(
        `only ${peers.length} of the wanted clients connected: ${r.firstError?.message ?? 'unknown'}` +
          (code === 'EMFILE' ? ` (out of fds; ulimit -n is ${fdLimit()})` : ''),
      );
    }
  };

  progress('memory: warm-up in child (100 handshakes, opened and closed)');
  await open(100);
  await Promise.all(peers.splice(0).map((p) => p.close()));
  await sleep(200);
  const m0 = await sample();

  progress(`memory: ${STEPS.join(' → ')} idle handshaken clients`);
  const points: Array<{ n: number; mem: Mem }> = [{ n: 0, mem: m0 }];
  for (const n of STEPS) {
    await open(n - peers.length);
    await sleep(150);
    points.push({ n, mem: await sample() });
  }
  const mFull = points[points.length - 1]!.mem;
  if (mFull.sessions !== N) throw new Error(`child reports ${mFull.sessions} sessions, expected ${N}`);

  await Promise.all(peers.splice(0).map((p) => p.close()));
  await sleep(200);
  const mAfter = await sample();

  await channel.request('exit', 5_000).catch(() => {});
  await stopChild(child);

  const per = (k: keyof Mem) => round((mFull[k] - m0[k]) / N, 0);
  const rssPerConn = per('rss');
  return {
    connections: N,
    gcExposed: ready.gc,
    rssBaselineBytes: m0.rss,
    rssWithConnectionsBytes: mFull.rss,
    rssAfterCloseBytes: mAfter.rss,
    bytesPerConnection: rssPerConn,
    kbPerConnection: round(rssPerConn / 1024, 1),
    rssSlopeBytesPerConnection: round(linearTrend(points.map((p) => [p.n, p.mem.rss])).slope, 0),
    heapUsedBytesPerConnection: per('heapUsed'),
    heapUsedSlopeBytesPerConnection: round(linearTrend(points.map((p) => [p.n, p.mem.heapUsed])).slope, 0),
    externalBytesPerConnection: per('external'),
    rssByConnections: Object.fromEntries(points.map((p) => [p.n, p.mem.rss])),
    note: 'gateway in a child (node --expose-gc --import tsx bench/child-gateway.ts), clients in the bench process; each sample = median of 3 after gc(); bytesPerConnection = (rss@1000 − rss@0)/1000, slope = least squares over all points',
    target: '< 40 KB',
    pass: rssPerConn < 40 * 1024,
  };
}
