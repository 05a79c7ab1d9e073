import { lstat, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { CommandResult, CommandRunner } from '../command-runner.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { SkillsInstallResult } from '../protocol/generated/types.js';
import type { SkillInstallSpec } from './skill-manifest.js';

export type NodeManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface SkillInstallerOptions {
  runner: CommandRunner;
  /** The installers' environment (PATH decides which brew/npm/go/uv runs). */
  env: Readonly<Record<string, string | undefined>>;
  /** For `download` installers. */
  fetch: typeof fetch;
  /** Where downloads go when the spec names no `targetDir`: `<toolsDir>/<skillKey>`. */
  toolsDir: string;
}

export interface SkillInstallRequest {
  spec: SkillInstallSpec;
  skillKey: string;
  /** `skills.install.nodeManager`, default npm. */
  nodeManager?: NodeManager;
  timeoutMs: number;
}

const TAIL_CHARS = 4000;
/** A download larger than this is refused while it streams. */
export const MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024;

/**
 * Runs one declared installer of a skill: a package manager command through the runner, or a
 * download (optionally unpacked with tar/unzip through the runner). A failure is an UNAVAILABLE
 * error whose payload still carries the command's output.
 */
export class SkillInstaller {
  readonly #options: SkillInstallerOptions;

  constructor(options: SkillInstallerOptions) {
    this.#options = options;
  }

  async install(request: SkillInstallRequest): Promise<SkillsInstallResult> {
    const { spec } = request;
    if (spec.kind === 'download') return this.#download(request);
    const argv = commandFor(spec, request.nodeManager ?? 'npm');
    const result = await this.#options.runner.run(argv, { env: this.#options.env, timeoutMs: request.timeoutMs });
    return settle(result, `${spec.label} (${argv.join(' ')})`);
  }

  async #download(request: SkillInstallRequest): Promise<SkillsInstallResult> {
    const { spec } = request;
    if (!spec.url) throw invalidRequest(`installer ${spec.id} has no url`);
    const targetDir = this.#targetDir(request);
    const file = join(targetDir, safeFileName(spec.url));
    let body: Uint8Array;
    try {
      const res = await this.#options.fetch(spec.url, { signal: AbortSignal.timeout(request.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = await readCapped(res, MAX_DOWNLOAD_BYTES);
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `${spec.label}: download of ${spec.url} failed: ${(err as Error).message}`, { cause: err });
    }
    await mkdir(targetDir, { recursive: true });
    const archive = spec.archive ?? archiveKind(file);
    if (spec.extract === false || !archive) {
      await writeFile(file, body, { mode: 0o644 });
      return { ok: true, message: `${spec.label}: saved ${file}`, stdout: '', stderr: '', code: 0 };
    }
    // Unpacked apart first: an archive's symlinks could otherwise point a later member anywhere.
    const staging = await mkdtemp(join(this.#options.toolsDir, '.unpack-'));
    try {
      const archiveFile = join(staging, '.archive');
      const tree = join(staging, 'tree');
      await mkdir(tree);
      await writeFile(archiveFile, body, { mode: 0o600 });
      const argv =
        archive === 'zip'
          ? ['unzip', '-o', '-q', archiveFile, '-d', tree]
          : ['tar', '-xf', archiveFile, '-C', tree, '--no-same-owner', ...(spec.stripComponents ? [`--strip-components=${spec.stripComponents}`] : [])];
      const result = await this.#options.runner.run(argv, { env: this.#options.env, timeoutMs: request.timeoutMs });
      if (result.code === 0) {
        await refuseLinks(tree, `${spec.label}: the archive`);
        for (const name of await readdir(tree)) {
          await rm(join(targetDir, name), { recursive: true, force: true });
          await rename(join(tree, name), join(targetDir, name));
        }
      }
      return settle(result, `${spec.label}: unpack into ${targetDir}`);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** `<toolsDir>/<skillKey>`, or the spec's `targetDir` inside it: a skill never writes elsewhere. */
  #targetDir(request: SkillInstallRequest): string {
    const { skillKey, spec } = request;
    if (!/^[\w.-]+$/.test(skillKey) || skillKey === '.' || skillKey === '..') throw invalidRequest(`invalid skill key for a download: ${JSON.stringify(skillKey)}`);
    const toolsDir = resolve(this.#options.toolsDir);
    const target = resolve(toolsDir, skillKey, spec.targetDir ?? '.');
    const inside = relative(toolsDir, target);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      throw invalidRequest(`installer ${spec.id}: targetDir ${JSON.stringify(spec.targetDir)} leaves the tools folder ${toolsDir}`);
    }
    return target;
  }
}

function commandFor(spec: SkillInstallSpec, nodeManager: NodeManager): string[] {
  const need = (value: string | undefined, field: string): string => {
    if (!value) throw invalidRequest(`installer ${spec.id} (${spec.kind}) has no ${field}`);
    return value;
  };
  switch (spec.kind) {
    case 'brew':
      return ['brew', 'install', need(spec.formula, 'formula')];
    case 'node': {
      const pkg = need(spec.package, 'package');
      if (nodeManager === 'yarn') return ['yarn', 'global', 'add', pkg];
      if (nodeManager === 'npm') return ['npm', 'install', '-g', pkg];
      return [nodeManager, 'add', '-g', pkg];
    }
    case 'go': {
      const mod = need(spec.module, 'module');
      return ['go', 'install', mod.includes('@') ? mod : `${mod}@latest`];
    }
    case 'uv':
      return ['uv', 'tool', 'install', need(spec.package, 'package')];
    default:
      throw invalidRequest(`installer ${spec.id} has an unsupported kind`);
  }
}

function settle(result: CommandResult, what: string): SkillsInstallResult {
  const out: SkillsInstallResult = { ok: result.code === 0, message: '', stdout: tail(result.stdout), stderr: tail(result.stderr), code: result.code };
  if (out.ok) return { ...out, message: `${what}: done` };
  const why = result.timedOut ? 'timed out' : result.code === null ? (lastLine(result.stderr) ?? 'could not start') : `exit code ${result.code}`;
  const message = `${what} failed: ${why}`;
  throw new GatewayError('UNAVAILABLE', message, { payload: { ...out, message }, details: { code: result.code, stderr: out.stderr } });
}

function archiveKind(file: string): string | undefined {
  if (file.endsWith('.zip')) return 'zip';
  if (/\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz)$/.test(file)) return 'tar';
  return undefined;
}

function safeFileName(url: string): string {
  let name = '';
  try {
    name = basename(new URL(url).pathname);
  } catch {
    name = '';
  }
  return name && name !== '/' && !name.startsWith('.') ? name : 'download';
}

function tail(text: string): string {
  return text.length > TAIL_CHARS ? text.slice(-TAIL_CHARS) : text;
}

function lastLine(text: string): string | undefined {
  return text.trim().split('\n').pop() || undefined;
}

/** The response body, refused once it passes `max` bytes. */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) throw new Error(`larger than ${max} bytes`);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > max) throw new Error(`larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Refuses a tree holding symlinks (or other non-regular entries), which could reach outside it. */
async function refuseLinks(dir: string, what: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await lstat(path);
    if (info.isDirectory()) await refuseLinks(path, what);
    else if (!info.isFile()) throw new GatewayError('UNAVAILABLE', `${what} holds ${info.isSymbolicLink() ? 'a symlink' : 'a special file'} (${name}); refused`);
  }
}
