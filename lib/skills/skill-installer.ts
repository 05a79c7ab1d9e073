import { mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
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
    const targetDir = spec.targetDir ?? join(this.#options.toolsDir, request.skillKey);
    const file = join(targetDir, safeFileName(spec.url));
    let body: Uint8Array;
    try {
      const res = await this.#options.fetch(spec.url, { signal: AbortSignal.timeout(request.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `${spec.label}: download of ${spec.url} failed: ${(err as Error).message}`, { cause: err });
    }
    await mkdir(targetDir, { recursive: true });
    await writeFile(file, body, { mode: 0o644 });
    const archive = spec.archive ?? archiveKind(file);
    if (spec.extract === false || !archive) return { ok: true, message: `${spec.label}: saved ${file}`, stdout: '', stderr: '', code: 0 };
    const argv =
      archive === 'zip'
        ? ['unzip', '-o', '-q', file, '-d', targetDir]
        : ['tar', '-xf', file, '-C', targetDir, ...(spec.stripComponents ? [`--strip-components=${spec.stripComponents}`] : [])];
    const result = await this.#options.runner.run(argv, { env: this.#options.env, timeoutMs: request.timeoutMs });
    if (result.code === 0) await rm(file, { force: true });
    return settle(result, `${spec.label}: unpack into ${targetDir}`);
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
