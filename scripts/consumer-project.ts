/**
 * The package as a consumer gets it: built into a staging directory (never the checkout's own
 * dist/, which running tests and CLIs use), packed with `npm pack`, and installed from the tarball
 * into a fresh project through the npm registry, without our lock file or `overrides`.
 * Used by the consumer test and by `npm run bench` (installed size).
 */
import { spawn } from 'node:child_process';
import { copyFile, lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildControlUi } from './build-ui.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a command to its end; the result carries the exit code, never throws for a non-zero one. */
export function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? consumerEnv(), stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 180_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/**
 * The environment without what `npm test` / `npm run` put into it (npm_config_local_prefix,
 * npm_package_*, …): a nested npm would otherwise act on this checkout instead of the consumer.
 */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_') || keep.has(key.toLowerCase())));
  return { ...env, ...extra };
}

async function check(result: Promise<CommandResult>, what: string): Promise<CommandResult> {
  const done = await result;
  if (done.code !== 0) throw new Error(`${what} failed (exit ${done.code}):\n${done.stderr || done.stdout}`);
  return done;
}

/** Builds and packs the package into `workDir`; resolves with the tarball's path. */
export async function packPackage(workDir: string): Promise<string> {
  const stage = join(workDir, 'stage');
  await mkdir(join(stage, 'schema'), { recursive: true });
  await check(runCommand(process.execPath, [join(repo, 'node_modules/tsup/dist/cli-default.js'), '--out-dir', join(stage, 'dist')], { cwd: repo, env: process.env }), 'tsup');
  await buildControlUi({ outDir: join(stage, 'dist/control-ui'), sourcemap: false });
  const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { files: string[] };
  for (const file of ['package.json', 'README.md', 'LICENSE', ...pkg.files.filter((f) => f !== 'dist')]) {
    await mkdir(dirname(join(stage, file)), { recursive: true });
    await copyFile(join(repo, file), join(stage, file));
  }
  // Already built: prepack would build again from a directory with no sources.
  const packed = await check(runCommand('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], { cwd: stage }), 'npm pack');
  const [info] = JSON.parse(packed.stdout) as { filename: string }[];
  return join(workDir, info!.filename);
}

/** A fresh ESM project in `dir` with the tarball installed from the registry. */
export async function installConsumer(dir: string, tarball: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
  await check(runCommand('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: dir, timeoutMs: 300_000 }), 'npm install');
}

/** Bytes of every file under `dir` (symlinks not followed), as `du --apparent-size` counts. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await directoryBytes(path);
    else total += (await lstat(path)).size;
  }
  return total;
}
