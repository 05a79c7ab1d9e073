import { performance } from 'node:perf_hooks';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../lib/device-identity.js';
import { presenceService } from '../../lib/index.js';
import type { Cleanup } from '../log.js';
import { progress } from '../log.js';
import { startEchoServer, startGateway } from '../servers.js';
import { row } from '../rows.js';
import { ratio, round, summarize } from '../stats.js';
import { connectGateway, openPeer, type ClientMode, type Peer } from '../ws-peer.js';

const WARMUP = 50;
const SEQUENTIAL = 400;
const PARALLEL = 20;
const PARALLEL_TOTAL = 1_000;
/** Each measurement also stops at this wall time, so a slow gateway cannot stall the run. */
const MAX_MS = 4_000;
const KEEP_OPEN = 200;

interface Rate {
  perSec: number;
  done: number;
  ms: number;
  cycleP50Us: number;
  cycleP99Us: number;
}

/** Runs `cycle` `total` times with `workers` in flight; rate = completed cycles / wall time. */
async function measure(total: number, workers: number, cycle: () => Promise<void>): Promise<Rate> {
  const lat: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < total && performance.now() - t0 < MAX_MS) {
      started++;
      const c0 = performance.now();
      await cycle();
      lat.push((performance.now() - c0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const ms = performance.now() - t0;
  const s = summarize(lat, 0);
  return { perSec: round((lat.length / ms) * 1000, 0), done: lat.length, ms: round(ms, 0), cycleP50Us: s.p50, cycleP99Us: s.p99 };
}

export async function handshakeSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const gw = await startGateway();
  cleanup.add('handshake gateway', () => gw.close());
  const echo = await startEchoServer();
  cleanup.add('handshake echo server', () => echo.close());

  const full = (mode: ClientMode) => async () => {
    const { peer } = await connectGateway(gw.url, { mode });
    await peer.close();
  };
  // One device, as a CLI or app reconnecting: the first connect pairs it (local peers are approved
  // at once), every later one is signature check + device token.
  const device = createNodeDeviceSigner(generateDeviceIdentity());
  const signed = async () => {
    const { peer } = await connectGateway(gw.url, { mode: 'cli', device });
    await peer.close();
  };
  const bare = async () => {
    const peer = await openPeer(echo.url);
    await peer.close();
  };

  progress('handshake: warm-up');
  for (let i = 0; i < WARMUP; i++) {
    await full('cli')();
    await signed();
    await bare();
  }

  progress(`handshake: sequential (${SEQUENTIAL}) and ${PARALLEL} in parallel (${PARALLEL_TOTAL})`);
  const gwSeq = await measure(SEQUENTIAL, 1, full('cli'));
  const echoSeq = await measure(SEQUENTIAL, 1, bare);
  const signedSeq = await measure(SEQUENTIAL, 1, signed);
  const gwPar = await measure(PARALLEL_TOTAL, PARALLEL, full('cli'));
  const echoPar = await measure(PARALLEL_TOTAL, PARALLEL, bare);

  // Presence-tracked clients (any mode but `cli`): each connect upserts presence, puts the
  // presence list in hello-ok and broadcasts it; entries outlive the socket (TTL), so it grows.
  progress('handshake: presence-tracked clients (mode "ui")');
  const firstUi = await connectGateway(gw.url, { mode: 'ui' });
  const helloBytesFirst = firstUi.helloBytes;
  await firstUi.peer.close();
  const uiSeq = await measure(SEQUENTIAL, 1, full('ui'));
  const lastUi = await connectGateway(gw.url, { mode: 'ui' });
  const helloBytesLast = lastUi.helloBytes;
  await lastUi.peer.close();
  const presenceEntries = gw.gateway.service(presenceService).list().length;

  // Clients that stay connected: every presence-tracked connect broadcasts the whole presence
  // list to everyone already connected, so cost grows with (clients × list size).
  const keepOpen = async (mode: ClientMode) => {
    const g = await startGateway();
    cleanup.add(`handshake ${mode} keep-open gateway`, () => g.close());
    const peers: Peer[] = [];
    cleanup.add(`handshake ${mode} keep-open clients`, () => Promise.all(peers.map((p) => p.terminate())));
    let frames = 0;
    let bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < KEEP_OPEN && performance.now() - t0 < MAX_MS * 2; i++) {
      const { peer } = await connectGateway(g.url, { mode });
      peer.onFrame = (data) => {
        frames++;
        bytes += data.length;
      };
      peers.push(peer);
    }
    const ms = performance.now() - t0;
    await Promise.all(peers.map((p) => p.terminate()));
    await g.close();
    return { clients: peers.length, ms: round(ms, 0), perSec: round((peers.length / ms) * 1000, 0), framesAfterHello: frames, mbAfterHello: round(bytes / 1e6, 1) };
  };
  progress(`handshake: ${KEEP_OPEN} clients connected one by one and kept open (cli vs ui)`);
  const keepCli = await keepOpen('cli');
  const keepUi = await keepOpen('ui');

  const seqRatio = ratio(gwSeq.perSec, echoSeq.perSec);
  const signedRatio = ratio(signedSeq.perSec, echoSeq.perSec);
  return {
    cycle: 'open → connect.challenge → connect (token, no device) → hello-ok → close handshake; baseline: open → close',
    clientMode: 'cli',
    gateway: {
      sequentialPerSec: gwSeq.perSec,
      parallel20PerSec: gwPar.perSec,
      sequentialCycleP50Us: gwSeq.cycleP50Us,
      sequentialCycleP99Us: gwSeq.cycleP99Us,
      parallel20CycleP50Us: gwPar.cycleP50Us,
      parallel20CycleP99Us: gwPar.cycleP99Us,
      samples: { sequential: gwSeq.done, parallel20: gwPar.done },
    },
    echoBaseline: {
      sequentialPerSec: echoSeq.perSec,
      parallel20PerSec: echoPar.perSec,
      sequentialCycleP50Us: echoSeq.cycleP50Us,
      samples: { sequential: echoSeq.done, parallel20: echoPar.done },
    },
    ratioSequential: seqRatio,
    deviceSigned: { sequentialPerSec: signedSeq.perSec, sequentialCycleP50Us: signedSeq.cycleP50Us, sequentialCycleP99Us: signedSeq.cycleP99Us, samples: signedSeq.done, ratioSequential: signedRatio },
    ratioParallel20: ratio(gwPar.perSec, echoPar.perSec),
    presenceTracked: {
      clientMode: 'ui',
      sequentialPerSec: uiSeq.perSec,
      sequentialCycleP50Us: uiSeq.cycleP50Us,
      helloOkBytesFirst: helloBytesFirst,
      helloOkBytesAfter: helloBytesLast,
      presenceEntriesAfter: presenceEntries,
      keepOpenCli: keepCli,
      keepOpenUi: keepUi,
    },
    targets: { token: 'sequential rate >= 0.5 x bare ws open/close', deviceSigned: '>= 0.3 x bare ws open/close' },
    passToken: seqRatio >= 0.5,
    passDeviceSigned: signedRatio >= 0.3,
    pass: seqRatio >= 0.5 && signedRatio >= 0.3,
    rows: [
      row('handshake rate, token', `${gwSeq.perSec}/s`, `${echoSeq.perSec}/s (ws open/close)`, seqRatio, '≥ 0.5×', seqRatio >= 0.5),
      row('handshake rate, device-signed', `${signedSeq.perSec}/s`, `${echoSeq.perSec}/s (ws open/close)`, signedRatio, '≥ 0.3×', signedRatio >= 0.3),
    ],
  };
}
