import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawn, stopChild } from '../child.js';
import type { Cleanup } from '../log.js';
import { errorText, progress, sleep } from '../log.js';
import { median, ratio, round } from '../stats.js';

const RUNS = 5;
const TARGET_MS = 300;
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A clean environment: no OPENCLAW_* / CLAWDBOT_* from the caller, state and HOME in a temp dir. */
function childEnv(stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OPENCLAW|CLAWDBOT)_/.test(k)) env[k] = v;
  return { ...env, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_VERSION: 'bench', HOME: stateDir };
}

async function runOnce(variant: Variant, stateDir: string, cleanup: Cleanup): Promise<Run> {
  const port = await freePort();
  const t0 = performance.now();
  const child: ChildProcess = spawn(process.execPath, variant.args(port), {
    cwd: repoRoot,
    env: childEnv(stateDir),
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

/** Bundles the CLI with esbuild into a temp dir (node_modules symlinked) to see startup without tsx. */
function bundleCli(dir: string): string | { error: string } {
  const esbuild = join(repoRoot, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(esbuild)) return { error: 'esbuild not installed' };
  const out = join(dir, 'openclaw.mjs');
  const r = spawnSync(
    esbuild,
    ['bin/openclaw.ts', '--bundle', '--platform=node', '--format=esm', '--target=node20', '--packages=external', '--log-level=error', `--outfile=${out}`],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (r.status !== 0) return { error: `esbuild failed: ${(r.stderr || r.error?.message || '').trim().slice(0, 300)}` };
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return out;
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

  const dist = join(repoRoot, 'dist', 'bin', 'openclaw.js');
  const hasDist = existsSync(dist) && !process.env.BENCH_IGNORE_DIST;
  const cliTsx: Variant = { name: 'cli-tsx', args: (p) => ['--import', 'tsx', '--import', probe, 'bin/openclaw.ts', ...gatewayArgs(p)] };
  const cliDist: Variant = { name: 'cli-dist', args: (p) => ['--import', probe, dist, ...gatewayArgs(p)] };
  // dist/ is preferred when present; the other form is measured too, for comparison.
  const variants: Variant[] = hasDist ? [cliDist, cliTsx] : [cliTsx];
  let bundleNote: string | undefined;
  if (!hasDist) {
    const bundled = bundleCli(work);
    if (typeof bundled === 'string') {
      variants.push({ name: 'cli-esbuild-bundle', args: (p) => ['--import', probe, bundled, ...gatewayArgs(p)] });
    } else {
      bundleNote = bundled.error;
    }
  }
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

  // A dist/ that fails to start (stale, half-built) falls back to the source CLI.
  let main = variants[0]!.name;
  if (errors[main] && main === 'cli-dist' && !errors['cli-tsx']) main = 'cli-tsx';
  if (errors[main]) throw new Error(errors[main]);
  const used = main === 'cli-dist' ? 'dist' : 'tsx';
  const result = Object.fromEntries(variants.map((v) => [v.name, errors[v.name] ? { error: errors[v.name] } : stats(runs.get(v.name)!)]));
  const cli = result[main] as ReturnType<typeof stats>;
  const nodeFloor = result['node-floor'] as ReturnType<typeof stats> | { error: string };
  const floorMs = 'error' in nodeFloor ? NaN : nodeFloor.spawnToConnectMedianMs;
  return {
    used,
    command: `node ${used === 'dist' ? 'dist/bin/openclaw.js' : '--import tsx bin/openclaw.ts'} gateway --allow-unconfigured --port <free> --token x  (OPENCLAW_STATE_DIR=<tmp>)`,
    runs: RUNS,
    ...result,
    ...(bundleNote ? { bundleError: bundleNote } : {}),
    ratioToNodeFloor: ratio(cli.spawnToConnectMedianMs, floorMs),
    overNodeFloorMs: round(cli.spawnToConnectMedianMs - floorMs, 1),
    note: 'spawnToConnect = spawn() → first successful TCP connect (1 ms polling); processStartToListen = performance.now() in the child at its first "listening" (preloaded bench/listen-probe.mjs)',
    target: `listening within ${TARGET_MS} ms of process start`,
    pass: cli.spawnToConnectMedianMs <= TARGET_MS,
  };
}
