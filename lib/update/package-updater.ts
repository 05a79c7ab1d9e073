import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CommandRunner } from '../command-runner.js';
import { GatewayError } from '../errors.js';
import type { UpdateRunOutcome, UpdateStepResult } from '../protocol/generated/types.js';
import { compareVersions, fetchLatestVersion, resolveNpmRegistry } from './npm-registry.js';

export interface PackageUpdaterOptions {
  /** The folder of this package's package.json in the install the gateway runs from. */
  packageRoot: string;
  packageName: string;
  currentVersion: string;
  runner: CommandRunner;
  fetch: typeof fetch;
  /** For the registry (npm_config_registry, ~/.npmrc) and npm's own environment. */
  env: Readonly<Record<string, string | undefined>>;
  now?: () => number;
}

const OUTPUT_TAIL_CHARS = 2000;

/**
 * Updates the npm install this gateway runs from to the registry's `latest`: a global install
 * (`<prefix>/lib/node_modules/<name>`) with `npm install -g --prefix`, a project dependency with
 * `npm install` in that project. Refuses git checkouts and installs it cannot write.
 */
export class PackageUpdater {
  readonly #o: PackageUpdaterOptions;

  constructor(options: PackageUpdaterOptions) {
    this.#o = options;
  }

  /** The registry's `latest` version of this package and whether it is newer than the one running. */
  async check(timeoutMs: number): Promise<{ current: string; latest: string; newer: boolean }> {
    const registry = await resolveNpmRegistry(this.#o.env);
    const latest = await fetchLatestVersion({ registry, name: this.#o.packageName, fetch: this.#o.fetch, timeoutMs });
    return { current: this.#o.currentVersion, latest, newer: compareVersions(latest, this.#o.currentVersion) > 0 };
  }

  async run(timeoutMs: number): Promise<UpdateRunOutcome> {
    const started = this.#now();
    const root = this.#o.packageRoot;
    await this.#refuseUnsafeInstall();
    const registry = await resolveNpmRegistry(this.#o.env);
    // Checked before the registry is asked: a layout npm cannot update is refused offline.
    const command = (version: string) => this.#installCommand(`${this.#o.packageName}@${version}`, registry);
    command(this.#o.currentVersion);
    let latest: string;
    try {
      latest = await fetchLatestVersion({ registry, name: this.#o.packageName, fetch: this.#o.fetch, timeoutMs });
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `update check failed: ${(err as Error).message}`, { cause: err, retryable: true });
    }
    const before = { version: this.#o.currentVersion };
    const base = { mode: 'npm' as const, root, before };
    if (compareVersions(latest, this.#o.currentVersion) <= 0) {
      return { ...base, status: 'skipped', reason: `already up to date (${this.#o.currentVersion}, registry latest ${latest})`, after: before, steps: [], durationMs: this.#now() - started };
    }
    const { argv, cwd } = command(latest);
    const stepStart = this.#now();
    const result = await this.#o.runner.run(argv, { cwd, env: this.#o.env, timeoutMs });
    const step: UpdateStepResult = {
      name: 'npm install',
      // A registry URL may carry credentials (user:token@): they stay out of results and errors.
      command: argv.map(withoutCredentials).join(' '),
      cwd,
      durationMs: this.#now() - stepStart,
      exitCode: result.code,
      stdoutTail: tail(result.stdout),
      stderrTail: tail(result.stderr),
    };
    const installed = result.code === 0 ? await readVersion(root) : undefined;
    if (result.code !== 0 || installed !== latest) {
      const why = result.timedOut ? 'timed out' : result.code !== 0 ? `exit code ${result.code}` : `found version ${installed ?? 'none'} afterwards`;
      const outcome: UpdateRunOutcome = { ...base, status: 'error', reason: `${step.command} failed: ${why}`, steps: [step], durationMs: this.#now() - started };
      throw new GatewayError('UNAVAILABLE', `update to ${latest} failed: ${why}`, { payload: { ok: false, result: outcome }, details: { stderr: step.stderrTail } });
    }
    return { ...base, status: 'ok', after: { version: latest }, steps: [step], durationMs: this.#now() - started };
  }

  async #refuseUnsafeInstall(): Promise<void> {
    const root = this.#o.packageRoot;
    const checkout = await gitCheckoutOf(root);
    if (checkout) {
      throw new GatewayError('UNAVAILABLE', `update.run refused: ${root} is a git checkout (${checkout}); update it with git pull and a rebuild instead`, {
        details: { reason: 'git-checkout', root: checkout },
      });
    }
    for (const dir of [root, dirname(root)]) {
      try {
        await access(dir, constants.W_OK);
      } catch {
        throw new GatewayError('UNAVAILABLE', `update.run refused: ${dir} is not writable by this process; update as the install's owner (or with sudo) instead`, {
          details: { reason: 'not-writable', path: dir },
        });
      }
    }
  }

  #installCommand(spec: string, registry: string): { argv: string[]; cwd: string } {
    const root = this.#o.packageRoot;
    const modules = dirname(this.#o.packageName.startsWith('@') ? dirname(root) : root);
    const registryArgs = ['--registry', registry];
    if (basename(modules) === 'node_modules') {
      const owner = dirname(modules);
      // POSIX globals live in <prefix>/lib/node_modules, Windows globals in <prefix>/node_modules.
      if (basename(owner) === 'lib') return { argv: ['npm', 'install', '-g', '--prefix', dirname(owner), spec, ...registryArgs], cwd: owner };
      return { argv: ['npm', 'install', spec, ...registryArgs], cwd: owner };
    }
    throw new GatewayError('UNAVAILABLE', `update.run refused: ${root} is not inside a node_modules folder, so npm did not install it; update it the way it was installed`, {
      details: { reason: 'not-npm-install', root },
    });
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }
}

/** The folder holding `.git` at or above `dir`, if any. */
async function gitCheckoutOf(dir: string): Promise<string | undefined> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      await stat(join(current, '.git'));
      return current;
    } catch {
      // not here
    }
    if (dirname(current) === current) return undefined;
  }
}

async function readVersion(root: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? text.slice(-OUTPUT_TAIL_CHARS) : text;
}

function withoutCredentials(arg: string): string {
  return arg.replace(/^(https?:\/\/)[^/@\s]+@/i, '$1***@');
}
