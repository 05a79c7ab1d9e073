import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { commandFailure, type CommandRunner } from './command-runner.js';
import { ServiceCommandError, type Availability, type ExtraService, type GatewayService, type ServiceRuntime } from './gateway-service.js';
import { parseLaunchAgentPlist, renderLaunchAgentPlist } from './launchd-plist.js';
import type { ServiceDefinition } from './service-definition.js';
import { GATEWAY_LIKE, readOptional, removeFile, scanDir, writeDefinitionFile } from './service-files.js';

export interface LaunchdServiceOptions {
  label: string;
  runner: CommandRunner;
  home: string;
  stateDir: string;
  uid: number;
  /** Service log names: `<prefix>.log` / `<prefix>.err.log` (OPENCLAW_LOG_PREFIX, default `gateway`). */
  logPrefix?: string;
  /** Labels of earlier releases (`bot.molt.*`, `com.openclaw.*`), reported as extra services. */
  legacyLabels?: string[];
}

/** The gateway as a LaunchAgent in `~/Library/LaunchAgents`, driven with `launchctl` in `gui/<uid>`. */
export class LaunchdService implements GatewayService {
  readonly label = 'LaunchAgent';
  readonly loadedText = 'loaded';
  readonly notLoadedText = 'not loaded';
  readonly name: string;
  readonly definitionPath: string;
  readonly #options: LaunchdServiceOptions;

  constructor(options: LaunchdServiceOptions) {
    this.#options = options;
    this.name = options.label;
    this.definitionPath = join(options.home, 'Library', 'LaunchAgents', `${options.label}.plist`);
  }

  get #domain(): string {
    return `gui/${this.#options.uid}`;
  }

  get #target(): string {
    return `${this.#domain}/${this.name}`;
  }

  get logPaths(): { stdout: string; stderr: string } {
    const prefix = this.#options.logPrefix || 'gateway';
    return { stdout: join(this.#options.stateDir, 'logs', `${prefix}.log`), stderr: join(this.#options.stateDir, 'logs', `${prefix}.err.log`) };
  }

  async available(): Promise<Availability> {
    const result = await this.#options.runner('launchctl', ['print', this.#domain]);
    if (result.code === 0) return { ok: true };
    return { ok: false, reason: `launchd is not available here (${commandFailure('launchctl', ['print', this.#domain], result)})` };
  }

  async isLoaded(): Promise<boolean> {
    return (await this.#options.runner('launchctl', ['print', this.#target])).code === 0;
  }

  async readInstalled(): Promise<ServiceDefinition | undefined> {
    const text = await readOptional(this.definitionPath);
    return text === undefined ? undefined : parseLaunchAgentPlist(text);
  }

  render(definition: ServiceDefinition): string {
    const logs = this.logPaths;
    return renderLaunchAgentPlist(definition, { label: this.name, stdoutPath: logs.stdout, stderrPath: logs.stderr });
  }

  async install(definition: ServiceDefinition): Promise<void> {
    await mkdir(join(this.#options.stateDir, 'logs'), { recursive: true, mode: 0o700 });
    await writeDefinitionFile(this.definitionPath, this.render(definition));
    // A loaded older version would keep running its old definition.
    await this.#options.runner('launchctl', ['bootout', this.#target]);
    await this.#options.runner('launchctl', ['enable', this.#target]);
    await this.#run(['bootstrap', this.#domain, this.definitionPath]);
    await this.#run(['kickstart', '-k', this.#target]);
  }

  async rewrite(definition: ServiceDefinition): Promise<void> {
    await writeDefinitionFile(this.definitionPath, this.render(definition));
  }

  async uninstall(): Promise<void> {
    await this.#options.runner('launchctl', ['bootout', this.#target]);
    await removeFile(this.definitionPath);
  }

  async start(): Promise<void> {
    if (!(await this.isLoaded())) await this.#run(['bootstrap', this.#domain, this.definitionPath]);
    await this.#run(['kickstart', this.#target]);
  }

  async stop(): Promise<void> {
    await this.#run(['bootout', this.#target]);
  }

  async restart(): Promise<void> {
    if (!(await this.isLoaded())) await this.#run(['bootstrap', this.#domain, this.definitionPath]);
    await this.#run(['kickstart', '-k', this.#target]);
  }

  async runtime(): Promise<ServiceRuntime> {
    const result = await this.#options.runner('launchctl', ['print', this.#target]);
    if (result.code !== 0) return { status: 'stopped', detail: 'not loaded' };
    const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1]?.trim();
    const pid = Number(/^\s*pid = (\d+)$/m.exec(result.stdout)?.[1]);
    const exit = /^\s*last exit code = (-?\d+)/m.exec(result.stdout)?.[1];
    const runtime: ServiceRuntime = { status: state === 'running' ? 'running' : 'stopped', state };
    if (pid > 0) runtime.pid = pid;
    if (exit !== undefined) runtime.lastExitStatus = Number(exit);
    return runtime;
  }

  async extraServices(deep: boolean): Promise<ExtraService[]> {
    const dirs: [string, 'user' | 'system'][] = [[join(this.#options.home, 'Library', 'LaunchAgents'), 'user']];
    if (deep) dirs.push(['/Library/LaunchAgents', 'system'], ['/Library/LaunchDaemons', 'system']);
    const legacy = new Set((this.#options.legacyLabels ?? []).map((label) => `${label}.plist`));
    const found: ExtraService[] = [];
    for (const [dir, scope] of dirs) {
      for (const file of await scanDir(dir, (name) => name.endsWith('.plist'))) {
        if (file.path === this.definitionPath || !(GATEWAY_LIKE.test(file.name) || GATEWAY_LIKE.test(file.text))) continue;
        found.push({ label: file.name.replace(/\.plist$/, ''), detail: `${file.path}${legacy.has(file.name) ? ' (legacy label)' : ''}`, scope });
      }
    }
    return found;
  }

  async #run(args: string[]): Promise<void> {
    const result = await this.#options.runner('launchctl', args);
    if (result.code !== 0) throw new ServiceCommandError(commandFailure('launchctl', args, result), [`check ${this.logPaths.stderr}`]);
  }
}
