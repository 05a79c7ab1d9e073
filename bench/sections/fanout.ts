import { performance } from 'node:perf_hooks';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopChild, tailOf } from '../child.js';
import { withRaisedFdLimit } from '../cli-bundle.js';
import type { Cleanup } from '../log.js';
import { errorText, progress, sleep, withTimeout } from '../log.js';
import { startEchoServer, startGateway } from '../servers.js';
import { round, summarize } from '../stats.js';
import { fdLimit } from '../system.js';
import { connectGateway, openMany, type Peer } from '../ws-peer.js';

const CLIENTS = 1_000;
const WARMUP_ROUNDS = 3;
const ROUNDS = 20;
const TARGET_MS = 25;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A set of connected receivers that can be told which frame to wait for. */
export interface Arrivals {
  first: bigint;
  last: bigint;
}

export interface Receivers {
  readonly count: number;
  /** Starts watching for `marker`; once armed, `arrived` resolves when every receiver saw it. */
  arm(marker: string): Promise<{ arrived: Promise<Arrivals> }>;
  close(): Promise<void>;
}

function connectFailure(what: string, got: number, error: string | undefined, wanted = CLIENTS): Error {
  const hint = /EMFILE|ENFILE/.test(error ?? '') ? ` — out of file descriptors (ulimit -n is ${fdLimit()})` : '';
  return new Error(`${what}: only ${got}/${wanted} clients connected; first error: ${error ?? 'unknown'}${hint}`);
}

/**
 * Receivers in a child process (their receive work runs off the server's event loop), with the
 * hard fd limit as its soft limit so it can hold 10,000 sockets.
 */
export async function childReceivers(url: string, kind: 'gateway' | 'bare', cleanup: Cleanup, count = CLIENTS): Promise<Receivers> {
  const { command, args } = withRaisedFdLimit(['--import', 'tsx', fileURLToPath(new URL('../fanout-clients.ts', import.meta.url))]);
  const child: ChildProcess = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const stderr = tailOf(child);
  cleanup.add(`fanout ${kind} receivers child`, () => stopChild(child));
  const nextMessage = <T>(type: string, timeoutMs: number): Promise<T> =>
    withTimeout(
      new Promise<T>((resolve, reject) => {
        const onMessage = (m: { type?: string }) => {
          if (m.type !== type) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(m as T);
        };
        const onExit = (code: number | null, signal: string | null) => {
          child.off('message', onMessage);
          reject(new Error(`receivers child exited (${signal ?? code}) waiting for "${type}"${stderr() ? `: ${stderr().slice(-500)}` : ''}`));
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      }),
      timeoutMs,
      `receivers child "${type}"`,
    );

  const connected = nextMessage<{ ok: number; failed: number; error?: string }>('connected', 30_000 + count * 20);
  child.send({ cmd: 'connect', url, kind, count });
  const r = await connected;
  if (r.failed) throw connectFailure(kind, r.ok, r.error, count);
  return {
    count: r.ok,
    async arm(marker) {
      const armed = nextMessage('armed', 5_000);
      const round = nextMessage<{ first: string; last: string }>('round', 10_000);
      round.catch(() => {});
      child.send({ cmd: 'arm', marker });
      await armed;
      return { arrived: round.then((m) => ({ first: BigInt(m.first), last: BigInt(m.last) })) };
    },
    async close() {
      if (child.exitCode !== null || !child.connected) return;
      const closed = nextMessage('closed', 10_000).catch(() => {});
      child.send({ cmd: 'close' });
      await closed;
      await stopChild(child);
    },
  };
}

/** Receivers in this process (sharing the gateway's event loop). */
function inProcessReceivers(peers: Peer[]): Receivers {
  let marker = Buffer.alloc(0);
  let arrivals = 0;
  let first = 0n;
  let last = 0n;
  let allIn: (() => void) | undefined;
  for (const peer of peers) {
    peer.onFrame = (data) => {
      if (!allIn || !data.includes(marker)) return;
      last = process.hrtime.bigint();
      if (arrivals++ === 0) first = last;
      if (arrivals === peers.length) allIn();
    };
  }
  return {
    count: peers.length,
    async arm(m) {
      marker = Buffer.from(m);
      arrivals = 0;
      const arrived = withTimeout(
        new Promise<void>((resolve) => {
          allIn = resolve;
        }),
        10_000,
        'fan-out round',
      )
        .catch(() => {
          throw new Error(`only ${arrivals}/${peers.length} clients received the frame within 10 s`);
        })
        .then(() => {
          allIn = undefined;
          return { first, last };
        });
      arrived.catch(() => {});
      return { arrived };
    },
    async close() {
      await Promise.all(peers.map((p) => p.terminate()));
    },
  };
}

interface RoundStats {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  firstClientP50Ms: number;
  sendCallP50Ms: number;
  sendCallP99Ms: number;
}

/** Warm-up + measured rounds: t0 just before `send`, latency = last arrival − t0. */
async function measureRounds(receivers: Receivers, send: (ts: number) => void): Promise<RoundStats> {
  const lastMs: number[] = [];
  const firstMs: number[] = [];
  const callMs: number[] = [];
  for (let r = 0; r < WARMUP_ROUNDS + ROUNDS; r++) {
    const ts = 1_700_000_000_000 + r;
    const { arrived } = await receivers.arm(`"ts":${ts}`);
    const t0 = process.hrtime.bigint();
    send(ts);
    const t1 = process.hrtime.bigint();
    const { first, last } = await arrived.catch((err: unknown) => {
      throw new Error(`round ${r}: ${errorText(err)}`);
    });
    if (r >= WARMUP_ROUNDS) {
      lastMs.push(Number(last - t0) / 1e6);
      firstMs.push(Number(first - t0) / 1e6);
      callMs.push(Number(t1 - t0) / 1e6);
    }
    await sleep(20);
  }
  const l = summarize(lastMs, 2);
  const c = summarize(callMs, 2);
  return { p50Ms: l.p50, p90Ms: l.p90, p99Ms: l.p99, maxMs: l.max, firstClientP50Ms: summarize(firstMs, 2).p50, sendCallP50Ms: c.p50, sendCallP99Ms: c.p99 };
}

async function section<T>(what: string, run: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await run();
  } catch (err) {
    progress(`fanout: ${what} failed — ${errorText(err)}`);
    return { error: errorText(err) };
  }
}

export async function fanoutSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const frameBytes = JSON.stringify({ type: 'event', event: 'tick', payload: { ts: 1_700_000_000_000 }, seq: 1 }).length;

  // 1. Gateway, receivers in a child process: the headline number.
  const gw = await startGateway();
  cleanup.add('fanout gateway', () => gw.close());
  progress(`fanout: ${CLIENTS} handshaken clients in a child process`);
  const t0 = performance.now();
  const recv = await childReceivers(gw.url, 'gateway', cleanup);
  const connectAllMs = round(performance.now() - t0, 0);
  const sessions = gw.liveSessions();
  progress(`fanout: ${ROUNDS} broadcast rounds (+${WARMUP_ROUNDS} warm-up)`);
  const main = await measureRounds(recv, (ts) => gw.gateway.broadcast('tick', { ts }));
  await recv.close();

  // 2. Same gateway, receivers in this process (one event loop for both sides).
  const inProcess = await section('in-process receivers', async () => {
    progress(`fanout: again with the ${CLIENTS} clients in the gateway process`);
    const r = await openMany(CLIENTS, 50, () => connectGateway(gw.url, { mode: 'cli' }));
    const peers = r.ok.map((h) => h.peer);
    cleanup.add('fanout in-process clients', () => Promise.all(peers.map((p) => p.terminate())));
    if (r.failed) throw connectFailure('gateway (in-process clients)', peers.length, r.firstError ? errorText(r.firstError) : undefined);
    const receivers = inProcessReceivers(peers);
    const s = await measureRounds(receivers, (ts) => gw.gateway.broadcast('tick', { ts }));
    await receivers.close();
    return { p50Ms: s.p50Ms, p99Ms: s.p99Ms, broadcastCallP50Ms: s.sendCallP50Ms };
  });
  await gw.close();

  // 3. Baseline: a bare ws server sending the same-size frame to 1,000 bare clients (child process).
  const baseline = await section('bare ws baseline', async () => {
    progress('fanout: bare ws baseline');
    const echo = await startEchoServer();
    cleanup.add('fanout echo server', () => echo.close());
    const r = await childReceivers(echo.url, 'bare', cleanup);
    const s = await measureRounds(r, (ts) => {
      const text = JSON.stringify({ type: 'event', event: 'tick', payload: { ts }, seq: 1 });
      for (const ws of echo.clients) ws.send(text);
    });
    await r.close();
    await echo.close();
    return { p50Ms: s.p50Ms, p99Ms: s.p99Ms, sendLoopP50Ms: s.sendCallP50Ms, sendLoopP99Ms: s.sendCallP99Ms };
  });

  return {
    clients: CLIENTS,
    sessionsOnGateway: sessions,
    rounds: ROUNDS,
    event: 'tick',
    frameBytes,
    connectAllMs,
    p50Ms: main.p50Ms,
    p90Ms: main.p90Ms,
    p99Ms: main.p99Ms,
    maxMs: main.maxMs,
    firstClientP50Ms: main.firstClientP50Ms,
    broadcastCallP50Ms: main.sendCallP50Ms,
    broadcastCallP99Ms: main.sendCallP99Ms,
    inProcessClients: inProcess,
    baselineBareWs: baseline,
    note: 'headline numbers: clients in a forked child (bench/fanout-clients.ts), times compared on CLOCK_MONOTONIC; broadcastCall = the synchronous gateway.broadcast() call alone',
    target: `< ${TARGET_MS} ms (p99 of broadcast() → last of ${CLIENTS} clients received)`,
    pass: main.p99Ms < TARGET_MS,
  };
}
