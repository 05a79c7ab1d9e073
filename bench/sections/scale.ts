import { fileURLToPath } from 'node:url';
import { LineChannel, spawn, stopChild, tailOf } from '../child.js';
import { withRaisedFdLimit } from '../cli-bundle.js';
import type { Cleanup } from '../log.js';
import { errorText, progress, sleep } from '../log.js';
import { row } from '../rows.js';
import { median, ratio, round, summarize } from '../stats.js';
import { childReceivers } from './fanout.js';

const CONNECTIONS = 10_000;
const WARMUP_ROUNDS = 3;
const ROUNDS = 15;
const KB_TARGET = 8;
const FANOUT_TARGET = 1.5;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  connections: number;
}

interface Side {
  rssBefore: number;
  rssWith: number;
  heapUsedPerConnection: number;
  bytesPerConnection: number;
  connections: number;
  connectMs: number;
  fanoutP50Ms: number;
  fanoutP99Ms: number;
  sendLoopP50Ms: number;
}

/**
 * One server kind with 10,000 idle connections: memory before/after (after full GCs, median of 3)
 * and `ROUNDS` tick broadcasts timed from just before the server's send loop to the last arrival
 * in the receivers' process (both on CLOCK_MONOTONIC).
 */
async function measureSide(kind: 'gateway' | 'bare', cleanup: Cleanup): Promise<Side> {
  const { command, args } = withRaisedFdLimit(['--expose-gc', '--import', 'tsx', 'bench/child-scale.ts', kind]);
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = tailOf(child);
  cleanup.add(`scale ${kind} server`, () => stopChild(child));
  const channel = new LineChannel(child);
  cleanup.add(`scale ${kind} server stdout`, () => channel.close());
  let port: number;
  try {
    ({ port } = JSON.parse(await channel.next(30_000, `scale ${kind} server start`)) as { port: number });
  } catch (err) {
    throw new Error(`${errorText(err)}${stderr() ? `; stderr: ${stderr()}` : ''}`);
  }
  const sample = async (): Promise<Mem> => {
    const runs: Mem[] = [];
    for (let i = 0; i < 3; i++) {
      runs.push(JSON.parse(await channel.request('mem', 30_000)) as Mem);
      await sleep(50);
    }
    const pick = (k: keyof Mem) => median(runs.map((r) => r[k]));
    return { rss: pick('rss'), heapUsed: pick('heapUsed'), external: pick('external'), arrayBuffers: pick('arrayBuffers'), connections: pick('connections') };
  };

  const before = await sample();
  progress(`scale: ${CONNECTIONS} ${kind} clients connecting (child process, fd limit raised)`);
  const t0 = performance.now();
  const receivers = await childReceivers(`ws://127.0.0.1:${port}`, kind, cleanup, CONNECTIONS);
  const connectMs = round(performance.now() - t0, 0);
  await sleep(500);
  const withConns = await sample();
  if (withConns.connections !== CONNECTIONS) throw new Error(`${kind} server reports ${withConns.connections} connections, expected ${CONNECTIONS}`);

  progress(`scale: ${ROUNDS} tick rounds (+${WARMUP_ROUNDS} warm-up) to ${CONNECTIONS} ${kind} clients`);
  const lastMs: number[] = [];
  const sendMs: number[] = [];
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    const ts = 1_800_000_000_000 + r;
    const { arrived } = await receivers.arm(`"ts":${ts}`);
    const sent = JSON.parse(await channel.request(`tick ${ts}`, 30_000)) as { t0: string; t1: string };
    const { last } = await arrived;
    if (r >= WARMUP_ROUNDS) {
      lastMs.push(Number(last - BigInt(sent.t0)) / 1e6);
      sendMs.push(Number(BigInt(sent.t1) - BigInt(sent.t0)) / 1e6);
    }
    await sleep(50);
  }
  await receivers.close();
  await channel.request('exit', 10_000).catch(() => {});
  await stopChild(child);
  const fan = summarize(lastMs, 2);
  return {
    rssBefore: before.rss,
    rssWith: withConns.rss,
    bytesPerConnection: round((withConns.rss - before.rss) / CONNECTIONS, 0),
    heapUsedPerConnection: round((withConns.heapUsed - before.heapUsed) / CONNECTIONS, 0),
    connections: withConns.connections,
    connectMs,
    fanoutP50Ms: fan.p50,
    fanoutP99Ms: fan.p99,
    sendLoopP50Ms: summarize(sendMs, 2).p50,
  };
}

/**
 * 10,000 idle connections on the gateway (kernel + ws transport, as embedders run it) and on a
 * bare `ws` server: RSS per connection, and a tick fanned out to all of them.
 */
export async function scaleSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const gateway = await measureSide('gateway', cleanup);
  const bare = await measureSide('bare', cleanup);
  const kb = (b: number) => round(b / 1024, 1);
  const fanoutRatio = ratio(gateway.fanoutP50Ms, bare.fanoutP50Ms);
  const memRatio = ratio(gateway.bytesPerConnection, bare.bytesPerConnection);
  return {
    connections: CONNECTIONS,
    gateway,
    bareWs: bare,
    kbPerConnection: { gateway: kb(gateway.bytesPerConnection), bareWs: kb(bare.bytesPerConnection) },
    memoryRatio: memRatio,
    fanoutRatio,
    note: 'servers: node --expose-gc --import tsx bench/child-scale.ts gateway|bare, soft fd limit raised to the hard limit (sh -c ulimit -n); clients: bench/fanout-clients.ts in one child; RSS after two gc() calls, median of 3; fan-out = server hrtime before the send loop → last of 10,000 arrivals',
    targets: { memory: `<= ${KB_TARGET} KB RSS per idle connection`, fanout: `p50 <= ${FANOUT_TARGET} x bare ws` },
    passMemory: gateway.bytesPerConnection <= KB_TARGET * 1024,
    passFanout: fanoutRatio <= FANOUT_TARGET,
    pass: gateway.bytesPerConnection <= KB_TARGET * 1024 && fanoutRatio <= FANOUT_TARGET,
    rows: [
      row('RSS per idle connection at 10k', `${kb(gateway.bytesPerConnection)} KB`, `${kb(bare.bytesPerConnection)} KB (bare ws)`, memRatio, `≤ ${KB_TARGET} KB`, gateway.bytesPerConnection <= KB_TARGET * 1024),
      row('tick fan-out to 10k, p50', `${gateway.fanoutP50Ms} ms`, `${bare.fanoutP50Ms} ms (bare ws)`, fanoutRatio, `≤ ${FANOUT_TARGET}×`, fanoutRatio <= FANOUT_TARGET),
    ],
  };
}
