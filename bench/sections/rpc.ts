import { performance } from 'node:perf_hooks';
import type { Cleanup } from '../log.js';
import { progress } from '../log.js';
import { startEchoServer, startGateway } from '../servers.js';
import { ratio, round, summarize } from '../stats.js';
import { connectGateway, openPeer, type Peer } from '../ws-peer.js';

const WARMUP = 500;
const CALLS = 2_000;
/** Measured calls are split into alternating gateway/echo blocks so drift hits both alike. */
const BLOCKS = 4;

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

export async function rpcSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const gw = await startGateway();
  cleanup.add('rpc gateway', () => gw.close());
  const echo = await startEchoServer();
  cleanup.add('rpc echo server', () => echo.close());

  const { peer: gwPeer } = await connectGateway(gw.url);
  cleanup.add('rpc gateway client', () => gwPeer.terminate());
  const echoPeer = await openPeer(echo.url);
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
  progress(`rpc: ${CALLS} calls each in ${Math.round(performance.now() - started)} ms`);

  const gateway = summarize(gwLat);
  const echoStats = summarize(echoLat);
  const ratioP50 = ratio(gateway.p50, echoStats.p50);
  const ratioP99 = ratio(gateway.p99, echoStats.p99);
  return {
    method: 'health',
    calls: CALLS,
    warmup: WARMUP,
    unit: 'us',
    bytes: { healthRequest: healthFrame(1).length, healthResponse: healthBytes, echoFrame: echoFrame(1).length },
    gateway: { p50Us: gateway.p50, p90Us: gateway.p90, p99Us: gateway.p99, meanUs: gateway.mean, maxUs: gateway.max },
    echo: { p50Us: echoStats.p50, p90Us: echoStats.p90, p99Us: echoStats.p99, meanUs: echoStats.mean, maxUs: echoStats.max },
    overheadP50Us: round(gateway.p50 - echoStats.p50),
    ratioP50,
    ratioP99,
    note: 'clients, gateway and echo server share one process/event loop; echo frame padded to the health response size',
    target: 'p50 ratio <= 1.5',
    pass: ratioP50 <= 1.5,
  };
}
