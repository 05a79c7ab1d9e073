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

const SETTLE_MS = 2_000;
const SAMPLES = 5;
const EXIT_RUNS = 5;
const EXIT_TARGET_MS = 200;
const TOKEN = 'bench-idle-token';

/** The floor: a bare Node process holding a `ws` server, which closes it on SIGTERM. */
const bareWs = (port: number) => [
  '-e',
  `const { WebSocketServer } = require('ws'); const wss = new WebSocketServer({ port: ${port}, host: '127.0.0.1' }); process.once('SIGTERM', () => wss.close());`,
];

async function idleRss(child: ListeningChild): Promise<number> {
  await sleep(SETTLE_MS);
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const rss = rssOf(child.child.pid!);
    if (rss === undefined) throw new Error('no /proc/<pid>/status here: RSS needs Linux');
    samples.push(rss);
    await sleep(200);
  }
  return median(samples);
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

  progress(`idle: RSS ${SETTLE_MS} ms after listening (median of ${SAMPLES}), then SIGTERM → exit; ${EXIT_RUNS} runs each, gateway and bare ws alternating`);
  const rss = { gateway: [] as number[], bareWs: [] as number[] };
  const exitMs = { gateway: [] as number[], bareWs: [] as number[] };
  for (let i = 0; i < EXIT_RUNS; i++) {
    const gw = await spawnListening('idle gateway', gatewayArgs, { env: cliEnv(join(work, `state-${i}`)), cleanup });
    rss.gateway.push(await idleRss(gw));
    exitMs.gateway.push(await exitAfterSigterm(gw));
    const bare = await spawnListening('idle bare ws', bareWs, { cleanup });
    rss.bareWs.push(await idleRss(bare));
    exitMs.bareWs.push(await exitAfterSigterm(bare));
  }
  const mb = (b: number) => round(b / 1024 / 1024, 1);
  const rssGateway = median(rss.gateway);
  const rssFloor = median(rss.bareWs);
  const exitGateway = round(median(exitMs.gateway), 1);
  const exitFloor = round(median(exitMs.bareWs), 1);
  const rssRatio = ratio(rssGateway, rssFloor);
  return {
    gateway: 'openclaw gateway --allow-unconfigured (bundled CLI, fresh state dir, no channels)',
    floor: 'node -e: ws WebSocketServer on 127.0.0.1, closed on SIGTERM',
    rssMb: { gateway: mb(rssGateway), bareWs: mb(rssFloor), gatewayRuns: rss.gateway.map(mb), bareWsRuns: rss.bareWs.map(mb) },
    rssRatio,
    exitAfterSigtermMs: { gateway: exitGateway, bareWs: exitFloor, gatewayRuns: exitMs.gateway.map((v) => round(v, 1)), bareWsRuns: exitMs.bareWs.map((v) => round(v, 1)) },
    exitRatio: ratio(exitGateway, exitFloor),
    targets: { rss: '<= 1.15 x bare Node + ws', exit: `<= ${EXIT_TARGET_MS} ms after SIGTERM` },
    passRss: rssRatio <= 1.15,
    passExit: exitGateway <= EXIT_TARGET_MS,
    pass: rssRatio <= 1.15 && exitGateway <= EXIT_TARGET_MS,
    rows: [
      row('idle RSS', `${mb(rssGateway)} MB`, `${mb(rssFloor)} MB (node + ws server)`, rssRatio, '≤ 1.15×', rssRatio <= 1.15),
      row('exit after SIGTERM (idle)', `${exitGateway} ms`, `${exitFloor} ms (node + ws server)`, ratio(exitGateway, exitFloor), `≤ ${EXIT_TARGET_MS} ms`, exitGateway <= EXIT_TARGET_MS),
    ],
  };
}
