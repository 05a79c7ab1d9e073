import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawn, stopChild } from '../child.js';
import { bundledCli, cliEnv, freePort, tryConnect } from '../cli-bundle.js';
import type { Cleanup } from '../log.js';
import { errorText, progress, sleep } from '../log.js';
import { row } from '../rows.js';
import { median, ratio, round } from '../stats.js';

const RUNS = 5;
const TARGET_RATIO = 1.5;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const probe = join(repoRoot, 'bench', 'listen-probe.mjs');
const MARKER = '__bench_listening__ ';

interface Variant {
  name: string;
  args: (port: number) => string[];
}

interface Run {
  spawnToConnectMs: number;
  processStartToListenMs?: number;
}

async function runOnce(variant: Variant, stateDir: string, cleanup: Cleanup): Promise<Run> {
  const port = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, variant.args(port), {
    cwd: repoRoot,
    env: cliEnv(stateDir),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  let listenedAt: number | undefined;
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
    const at = stderr.indexOf(MARKER);
    if (listenedAt === undefined && at !== -1) {
      const value = Number.parseFloat(stderr.slice(at + MARKER.length));
      if (Number.isFinite(value)) listenedAt = value;
    }
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  cleanup.add(`startup child ${variant.name}`, () => stopChild(child));
  try {
    for (;;) {
      if (exited) throw new Error(`${variant.name} exited before listening: ${stderr.replaceAll(MARKER, '').trim().slice(-500)}`);
      if (await tryConnect(port)) break;
      if (performance.now() - t0 > 15_000) throw new Error(`${variant.name} not listening on ${port} after 15 s`);
      await sleep(1);
    }
    const spawnToConnectMs = performance.now() - t0;
    for (let i = 0; i < 100 && listenedAt === undefined && !exited; i++) await sleep(5);
    return { spawnToConnectMs, processStartToListenMs: listenedAt };
  } finally {
    await stopChild(child);
  }
}

function stats(runs: Run[]) {
  const inside = runs.map((r) => r.processStartToListenMs).filter((v): v is number => v !== undefined);
  return {
    spawnToConnectMedianMs: round(median(runs.map((r) => r.spawnToConnectMs)), 1),
    processStartToListenMedianMs: inside.length ? round(median(inside), 1) : null,
    spawnToConnectMs: runs.map((r) => round(r.spawnToConnectMs, 1)),
  };
}

export async function startupSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const work = mkdtempSync(join(tmpdir(), 'openclaw-bench-startup-'));
  cleanup.add('startup temp dir', () => rmSync(work, { recursive: true, force: true }));
  const stateDir = join(work, 'state');
  const gatewayArgs = (port: number) => ['gateway', '--allow-unconfigured', '--port', String(port), '--token', 'x'];
  const floor = (port: number) => `require('http').createServer().listen(${port}, '127.0.0.1')`;

  // The CLI as tsup builds dist/, from the current source (a stale dist/ would mislead); the
  // source through tsx is measured too, for comparison.
  const { entry } = await bundledCli();
  const cliBundle: Variant = { name: 'cli-bundle', args: (p) => ['--import', probe, entry, ...gatewayArgs(p)] };
  const cliTsx: Variant = { name: 'cli-tsx', args: (p) => ['--import', 'tsx', '--import', probe, 'bin/openclaw.ts', ...gatewayArgs(p)] };
  const variants: Variant[] = [cliBundle, cliTsx];
  variants.push(
    { name: 'node-floor', args: (p) => ['--import', probe, '-e', floor(p)] },
    { name: 'tsx-floor', args: (p) => ['--import', 'tsx', '--import', probe, '-e', floor(p)] },
  );

  progress(`startup: ${variants.map((v) => v.name).join(', ')} — 1 warm-up + ${RUNS} runs each`);
  const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  const errors: Record<string, string> = {};
  for (let i = 0; i <= RUNS; i++) {
    for (const v of variants) {
      if (errors[v.name]) continue;
      try {
        const r = await runOnce(v, stateDir, cleanup);
        if (i > 0) runs.get(v.name)!.push(r);
      } catch (err) {
        errors[v.name] = errorText(err);
      }
    }
  }

  if (errors['cli-bundle']) throw new Error(errors['cli-bundle']);
  const result = Object.fromEntries(variants.map((v) => [v.name, errors[v.name] ? { error: errors[v.name] } : stats(runs.get(v.name)!)]));
  const cli = result['cli-bundle'] as ReturnType<typeof stats>;
  const nodeFloor = result['node-floor'] as ReturnType<typeof stats> | { error: string };
  const floorMs = 'error' in nodeFloor ? NaN : nodeFloor.spawnToConnectMedianMs;
  const ratioToNodeFloor = ratio(cli.spawnToConnectMedianMs, floorMs);
  return {
    command: 'node <bundle>/bin/openclaw.js gateway --allow-unconfigured --port <free> --token x  (OPENCLAW_STATE_DIR=<tmp>)',
    runs: RUNS,
    ...result,
    ratioToNodeFloor,
    overNodeFloorMs: round(cli.spawnToConnectMedianMs - floorMs, 1),
    note: 'spawnToConnect = spawn() → first successful TCP connect (1 ms polling); processStartToListen = performance.now() in the child at its first "listening" (preloaded bench/listen-probe.mjs); node-floor = node -e "http.createServer().listen()"',
    target: `spawn → listening <= ${TARGET_RATIO} x the node floor`,
    pass: ratioToNodeFloor <= TARGET_RATIO,
    rows: [
      row('start to listening', `${cli.spawnToConnectMedianMs} ms`, `${floorMs} ms (node http listen)`, ratioToNodeFloor, `≤ ${TARGET_RATIO}×`, ratioToNodeFloor <= TARGET_RATIO),
    ],
  };
}
