import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundledCli, cliEnv, rssOf, spawnListening, type ListeningChild } from '../cli-bundle.js';
import { stopChild } from '../child.js';
import type { Cleanup } from '../log.js';
import { progress, sleep, withTimeout } from '../log.js';
import { row } from '../rows.js';
import { median, ratio, round } from '../stats.js';

/** RSS right after start, while startup's garbage and grown young generation are still resident. */
const EARLY_MS = 2_000;
/**
 * V8's memory reducer runs about 8 s after the last full GC of a process that has gone quiet; it
 * shrinks the young generation and returns freed pages (both processes drop, bare Node too).
 * An idle gateway spends its life in that state, so that is the figure the target is held to.
 */
const SETTLED_MS = 12_000;
const SAMPLES = 5;
const EXIT_RUNS = 5;
const EXIT_TARGET_MS = 200;
const TOKEN = 'bench-idle-token';

/** The floor: a bare Node process holding a `ws` server, which closes it on SIGTERM. */
const bareWs = (port: number) => [
  '-e',
  `const { WebSocketServer } = require('ws'); const wss = new WebSocketServer({ port: ${port}, host: '127.0.0.1' }); process.once('SIGTERM', () => wss.close());`,
];

/** Median of a few RSS samples taken 200 ms apart. */
async function rssNow(child: ListeningChild): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const rss = rssOf(child.child.pid!);
    if (rss === undefined) throw new Error('no /proc/<pid>/status here: RSS needs Linux');
    samples.push(rss);
    await sleep(200);
  }
  return median(samples);
}

/** RSS of both processes, side by side, early and settled (measured from when both listen). */
async function idleRss(a: ListeningChild, b: ListeningChild): Promise<{ early: [number, number]; settled: [number, number] }> {
  const t0 = performance.now();
  await sleep(EARLY_MS);
  const early = await Promise.all([rssNow(a), rssNow(b)]);
  await sleep(Math.max(0, SETTLED_MS - (performance.now() - t0)));
  const settled = await Promise.all([rssNow(a), rssNow(b)]);
  return { early, settled };
}

/** SIGTERM → the child's exit, as its parent (a supervisor) sees it. */
async function exitAfterSigterm(child: ListeningChild): Promise<number> {
  const exited = new Promise<number>((resolve) => child.child.once('exit', () => resolve(performance.now())));
  const t0 = performance.now();
  child.child.kill('SIGTERM');
  try {
    return (await withTimeout(exited, 10_000, 'exit after SIGTERM')) - t0;
  } finally {
    await stopChild(child.child);
  }
}

/**
 * Idle RSS of `openclaw gateway` (the CLI as built for dist/, no channels configured) against a
 * bare Node process holding a `ws` server, and the time each takes to exit after SIGTERM.
 */
export async function idleSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const { entry } = await bundledCli();
  const work = mkdtempSync(join(tmpdir(), 'openclaw-bench-idle-'));
  cleanup.add('idle temp dir', () => rmSync(work, { recursive: true, force: true }));
  const gatewayArgs = (p: number) => [entry, 'gateway', '--allow-unconfigured', '--port', String(p), '--token', TOKEN];

  progress(`idle: RSS ${EARLY_MS} ms and ${SETTLED_MS} ms after listening (median of ${SAMPLES}), gateway and bare ws side by side, then SIGTERM → exit; ${EXIT_RUNS} runs`);
  const rss = { gateway: [] as number[], bareWs: [] as number[], gatewayEarly: [] as number[], bareWsEarly: [] as number[] };
  const exitMs = { gateway: [] as number[], bareWs: [] as number[] };
  for (let i = 0; i < EXIT_RUNS; i++) {
    const gw = await spawnListening('idle gateway', gatewayArgs, { env: cliEnv(join(work, `state-${i}`)), cleanup });
    const bare = await spawnListening('idle bare ws', bareWs, { cleanup });
    const { early, settled } = await idleRss(gw, bare);
    rss.gatewayEarly.push(early[0]);
    rss.bareWsEarly.push(early[1]);
    rss.gateway.push(settled[0]);
    rss.bareWs.push(settled[1]);
    exitMs.gateway.push(await exitAfterSigterm(gw));
    exitMs.bareWs.push(await exitAfterSigterm(bare));
  }
  const mb = (b: number) => round(b / 1024 / 1024, 1);
  const rssGateway = median(rss.gateway);
  const rssFloor = median(rss.bareWs);
  const exitGateway = round(median(exitMs.gateway), 1);
  const exitFloor = round(median(exitMs.bareWs), 1);
  const rssRatio = ratio(rssGateway, rssFloor);
  const earlyGateway = median(rss.gatewayEarly);
  const earlyFloor = median(rss.bareWsEarly);
  const earlyRatio = ratio(earlyGateway, earlyFloor);
  return {
    gateway: 'openclaw gateway --allow-unconfigured (bundled CLI, fresh state dir, no channels)',
    floor: 'node -e: ws WebSocketServer on 127.0.0.1, closed on SIGTERM',
    rssMb: { gateway: mb(rssGateway), bareWs: mb(rssFloor), gatewayRuns: rss.gateway.map(mb), bareWsRuns: rss.bareWs.map(mb) },
    rssRatio,
    settledAfterMs: SETTLED_MS,
    earlyRssMb: { afterMs: EARLY_MS, gateway: mb(earlyGateway), bareWs: mb(earlyFloor), gatewayRuns: rss.gatewayEarly.map(mb), bareWsRuns: rss.bareWsEarly.map(mb) },
    earlyRssRatio: earlyRatio,
    exitAfterSigtermMs: { gateway: exitGateway, bareWs: exitFloor, gatewayRuns: exitMs.gateway.map((v) => round(v, 1)), bareWsRuns: exitMs.bareWs.map((v) => round(v, 1)) },
    exitRatio: ratio(exitGateway, exitFloor),
    targets: { rss: '<= 1.15 x bare Node + ws', exit: `<= ${EXIT_TARGET_MS} ms after SIGTERM` },
    passRss: rssRatio <= 1.15,
    passExit: exitGateway <= EXIT_TARGET_MS,
    pass: rssRatio <= 1.15 && exitGateway <= EXIT_TARGET_MS,
    rows: [
      row('idle RSS (settled, 12 s)', `${mb(rssGateway)} MB`, `${mb(rssFloor)} MB (node + ws server)`, rssRatio, '≤ 1.15×', rssRatio <= 1.15),
      row('RSS 2 s after listening', `${mb(earlyGateway)} MB`, `${mb(earlyFloor)} MB (node + ws server)`, earlyRatio, '—', null),
      row('exit after SIGTERM (idle)', `${exitGateway} ms`, `${exitFloor} ms (node + ws server)`, ratio(exitGateway, exitFloor), `≤ ${EXIT_TARGET_MS} ms`, exitGateway <= EXIT_TARGET_MS),
    ],
  };
}
