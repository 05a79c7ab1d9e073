import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundledCli, cliEnv, spawnListening } from '../cli-bundle.js';
import type { Cleanup } from '../log.js';
import { progress } from '../log.js';
import { row } from '../rows.js';
import { ratio, round, summarize } from '../stats.js';
import { connectGateway, openPeer, type Peer } from '../ws-peer.js';

const WARMUP = 500;
const CALLS = 2_000;
/** Measured calls are split into alternating gateway/echo blocks so drift hits both alike. */
const BLOCKS = 4;
/** Throughput: this many connections, each with this many requests in flight, for this long. */
const CONNECTIONS = 4;
const WINDOW = 16;
const THROUGHPUT_MS = 2_000;
const TOKEN = 'bench-rpc-token';

/** The floor: a bare `ws` server in its own Node process, echoing each frame (no deflate, like the gateway). */
const echoArgs = (port: number) => [
  '-e',
  `const { WebSocketServer } = require('ws'); const wss = new WebSocketServer({ port: ${port}, host: '127.0.0.1', perMessageDeflate: false }); wss.on('connection', (ws) => ws.on('message', (d, b) => ws.send(d, { binary: b })));`,
];

/**
 * One sequential request/response client, identical for the gateway and the echo server: send a
 * frame, wait for the frame with the same `id`, parse it. Returns the round trip in µs.
 */
function roundTripper(peer: Peer): (id: string, text: string) => Promise<number> {
  let pending: { id: string; resolve: (t: number) => void } | undefined;
  peer.onFrame = (data) => {
    const t = performance.now();
    const frame = JSON.parse(data.toString('utf8')) as { id?: string };
    if (pending && frame.id === pending.id) {
      const done = pending;
      pending = undefined;
      done.resolve(t);
    }
  };
  return async (id, text) => {
    const received = new Promise<number>((resolve) => {
      pending = { id, resolve };
    });
    const t0 = performance.now();
    peer.send(text);
    return ((await received) - t0) * 1000;
  };
}

/**
 * Requests per second with `WINDOW` in flight on each peer: every response (any frame carrying
 * `"id":`) lets the next request go. Events (a tick) are not responses and are not counted.
 */
async function throughput(peers: Peer[], frame: (i: number) => string): Promise<number> {
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    peers.map(
      (peer) =>
        new Promise<void>((resolve) => {
          let inFlight = 0;
          const pump = () => {
            while (inFlight < WINDOW && performance.now() - t0 < THROUGHPUT_MS) {
              inFlight++;
              peer.send(frame(++sent));
            }
            if (inFlight === 0) resolve();
          };
          peer.onFrame = (data) => {
            if (!data.includes('"id":')) return;
            inFlight--;
            done++;
            pump();
          };
          pump();
        }),
    ),
  );
  return round((done / (performance.now() - t0)) * 1000, 0);
}

/**
 * `health` across processes: the gateway as `openclaw gateway` runs it (the CLI built like
 * dist/), the floor a bare `ws` echo server in its own process; the clients in this process.
 */
export async function rpcSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const { entry } = await bundledCli();
  const work = mkdtempSync(join(tmpdir(), 'openclaw-bench-rpc-'));
  cleanup.add('rpc temp dir', () => rmSync(work, { recursive: true, force: true }));
  const gw = await spawnListening('rpc gateway', (p) => [entry, 'gateway', '--allow-unconfigured', '--port', String(p), '--token', TOKEN], { env: cliEnv(work), cleanup });
  const echo = await spawnListening('rpc echo', echoArgs, { cleanup });
  const gwUrl = `ws://127.0.0.1:${gw.port}`;
  const echoUrl = `ws://127.0.0.1:${echo.port}`;

  const { peer: gwPeer } = await connectGateway(gwUrl, { token: TOKEN });
  cleanup.add('rpc gateway client', () => gwPeer.terminate());
  const echoPeer = await openPeer(echoUrl);
  cleanup.add('rpc echo client', () => echoPeer.terminate());

  // Size the echo frame like the health response, so both move the same payload size class.
  const healthFrame = (i: number) => `{"type":"req","id":"h${i}","method":"health","params":{}}`;
  gwPeer.send(healthFrame(0));
  const probe = await gwPeer.next();
  const probeRes = JSON.parse(probe.toString('utf8')) as { ok?: boolean; error?: { message?: string } };
  if (!probeRes.ok) throw new Error(`health failed: ${probeRes.error?.message ?? 'unknown'}`);
  const healthBytes = probe.length;
  const echoBase = `{"type":"req","id":"e000000","method":"echo","params":{"pad":""}}`.length;
  const pad = 'x'.repeat(Math.max(0, healthBytes - echoBase));
  const echoFrame = (i: number) => `{"type":"req","id":"e${String(i).padStart(6, '0')}","method":"echo","params":{"pad":"${pad}"}}`;

  const gwCall = roundTripper(gwPeer);
  const echoCall = roundTripper(echoPeer);

  progress(`rpc: warm-up ${WARMUP} calls each (health response ${healthBytes} B, echo frame ${echoFrame(0).length} B)`);
  for (let i = 1; i <= WARMUP; i++) {
    await gwCall(`h${i}`, healthFrame(i));
    await echoCall(`e${String(i).padStart(6, '0')}`, echoFrame(i));
  }

  const gwLat: number[] = [];
  const echoLat: number[] = [];
  const perBlock = CALLS / BLOCKS;
  let n = WARMUP;
  const started = performance.now();
  for (let b = 0; b < BLOCKS; b++) {
    for (let i = 0; i < perBlock; i++) {
      n++;
      gwLat.push(await gwCall(`h${n}`, healthFrame(n)));
    }
    for (let i = 0; i < perBlock; i++) {
      echoLat.push(await echoCall(`e${String(n + i).padStart(6, '0')}`, echoFrame(n + i)));
    }
  }
  progress(`rpc: ${CALLS} sequential calls each in ${Math.round(performance.now() - started)} ms`);

  progress(`rpc: throughput, ${CONNECTIONS} connections x ${WINDOW} in flight, ${THROUGHPUT_MS} ms each, twice (gateway, echo, gateway, echo)`);
  const gwPeers: Peer[] = [];
  const echoPeers: Peer[] = [];
  cleanup.add('rpc throughput clients', () => Promise.all([...gwPeers, ...echoPeers].map((p) => p.terminate())));
  for (let i = 0; i < CONNECTIONS; i++) {
    gwPeers.push((await connectGateway(gwUrl, { token: TOKEN })).peer);
    echoPeers.push(await openPeer(echoUrl));
  }
  const gwRates: number[] = [];
  const echoRates: number[] = [];
  for (let r = 0; r < 2; r++) {
    gwRates.push(await throughput(gwPeers, healthFrame));
    echoRates.push(await throughput(echoPeers, echoFrame));
  }
  const gwRate = Math.max(...gwRates);
  const echoRate = Math.max(...echoRates);

  const gateway = summarize(gwLat);
  const echoStats = summarize(echoLat);
  const ratioP50 = ratio(gateway.p50, echoStats.p50);
  const ratioP99 = ratio(gateway.p99, echoStats.p99);
  const throughputRatio = ratio(gwRate, echoRate);
  return {
    method: 'health',
    calls: CALLS,
    warmup: WARMUP,
    unit: 'us',
    bytes: { healthRequest: healthFrame(1).length, healthResponse: healthBytes, echoFrame: echoFrame(1).length },
    gateway: { p50Us: gateway.p50, p90Us: gateway.p90, p99Us: gateway.p99, meanUs: gateway.mean, maxUs: gateway.max, throughputPerSec: gwRate, throughputRuns: gwRates },
    echo: { p50Us: echoStats.p50, p90Us: echoStats.p90, p99Us: echoStats.p99, meanUs: echoStats.mean, maxUs: echoStats.max, throughputPerSec: echoRate, throughputRuns: echoRates },
    overheadP50Us: round(gateway.p50 - echoStats.p50),
    ratioP50,
    ratioP99,
    throughputRatio,
    note: 'gateway = bundled `openclaw gateway` in its own process; echo = bare ws server (node -e) in its own process; clients in the bench process; echo frame padded to the health response size; throughput = best of 2 runs',
    targets: { p50: '<= 1.3 x echo', throughput: '>= 0.8 x echo' },
    passP50: ratioP50 <= 1.3,
    passThroughput: throughputRatio >= 0.8,
    pass: ratioP50 <= 1.3 && throughputRatio >= 0.8,
    rows: [
      row('`health` p50, cross-process', `${gateway.p50} µs`, `${echoStats.p50} µs (ws echo)`, ratioP50, '≤ 1.3×', ratioP50 <= 1.3),
      row('`health` p99, cross-process', `${gateway.p99} µs`, `${echoStats.p99} µs (ws echo)`, ratioP99, '—', null),
      row('`health` throughput', `${gwRate} req/s`, `${echoRate} req/s (ws echo)`, throughputRatio, '≥ 0.8×', throughputRatio >= 0.8),
    ],
  };
}
