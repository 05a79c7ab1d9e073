import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { stopChild } from './child.js';
import { sleep, type Cleanup } from './log.js';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

let bundled: Promise<{ entry: string; dir: string }> | undefined;

/**
 * The CLI built from the current source the way `tsup` builds `dist/` (esbuild, ESM, code
 * splitting, node20, dependencies and peer dependencies external), into a temp dir with
 * `node_modules` linked. Built once per bench run, so a stale `dist/` never gets measured.
 */
export function bundledCli(): Promise<{ entry: string; dir: string }> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openclaw-bench-cli-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies?: object; peerDependencies?: object };
    await build({
      absWorkingDir: repoRoot,
      entryPoints: { 'bin/openclaw': 'bin/openclaw.ts' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: join(dir, 'dist'),
      external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})],
      logLevel: 'error',
    });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return { entry: join(dir, 'dist', 'bin', 'openclaw.js'), dir };
  })();
  return bundled;
}

/** A clean environment: no OPENCLAW_* / CLAWDBOT_* from the caller, state and HOME in `stateDir`. */
export function cliEnv(stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(OPENCLAW|CLAWDBOT)_/.test(k)) env[k] = v;
  return { ...env, OPENCLAW_STATE_DIR: stateDir, OPENCLAW_VERSION: 'bench', HOME: stateDir };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function tryConnect(port: number): Promise<boolean> {
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

export interface ListeningChild {
  child: ChildProcess;
  port: number;
  /** spawn() → first successful TCP connect. */
  spawnToConnectMs: number;
  stderr(): string;
}

/** Spawns `node <args>` (args get the port) and polls TCP every ms until it accepts a connection. */
export async function spawnListening(
  what: string,
  args: (port: number) => string[],
  options: { env?: NodeJS.ProcessEnv; cleanup: Cleanup; timeoutMs?: number; onStderr?: (text: string) => void },
): Promise<ListeningChild> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, args(port), { cwd: repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
    options.onStderr?.(stderr);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  options.cleanup.add(`${what} child`, () => stopChild(child));
  for (;;) {
    if (exited) throw new Error(`${what} exited before listening: ${stderr.trim().slice(-500)}`);
    if (await tryConnect(port)) break;
    if (performance.now() - t0 > (options.timeoutMs ?? 20_000)) {
      await stopChild(child);
      throw new Error(`${what} not listening on ${port} after ${options.timeoutMs ?? 20_000} ms`);
    }
    await sleep(1);
  }
  return { child, port, spawnToConnectMs: performance.now() - t0, stderr: () => stderr };
}

/** Wall time of `node <args>` from spawn() to exit; rejects on a non-zero exit. */
export function wallTime(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(' ')} exited ${signal ?? code}: ${stderr.trim().slice(-300)}`));
    });
  });
}

/** Resident set size of a live process, from /proc (Linux); undefined elsewhere. */
export function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * `sh -c 'ulimit -n <hard>; exec node …'`: children that hold 10,000 sockets get the hard fd limit
 * as their soft limit; the bench never changes the system's limits.
 */
export function withRaisedFdLimit(nodeArgs: string[]): { command: string; args: string[] } {
  return { command: 'sh', args: ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...nodeArgs] };
}
