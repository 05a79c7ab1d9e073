import { join } from 'node:path';
import { commandFailure, type CommandRunner } from './command-runner.js';
import { ServiceCommandError, type Availability, type ExtraService, type GatewayService, type ServiceRuntime } from './gateway-service.js';
import type { ServiceDefinition } from './service-definition.js';
import { GATEWAY_LIKE, readOptional, removeFile, scanDir, writeDefinitionFile } from './service-files.js';
import { parseSystemdUnit, renderSystemdUnit } from './systemd-unit.js';

export interface SystemdServiceOptions {
  unit: string;
  runner: CommandRunner;
  /** `~/.config/systemd/user` (XDG_CONFIG_HOME respected by the caller). */
  userUnitDir: string;
  /** `/etc/systemd/system`. */
  systemUnitDir?: string;
  /** A system unit (`--system`): `systemctl` without `--user`, needs root. */
  system?: boolean;
  /** `User=` of a system unit. */
  user?: string;
}

/** The gateway as a systemd user unit (or, with `system`, a system unit), driven through systemctl. */
export class SystemdService implements GatewayService {
  readonly label = 'systemd';
  readonly loadedText = 'enabled';
  readonly notLoadedText = 'disabled';
  readonly name: string;
  readonly definitionPath: string;
  readonly #options: SystemdServiceOptions;

  constructor(options: SystemdServiceOptions) {
    this.#options = options;
    this.name = options.unit;
    this.definitionPath = join(options.system ? (options.systemUnitDir ?? '/etc/systemd/system') : options.userUnitDir, options.unit);
  }

  async available(): Promise<Availability> {
    const args = this.#scoped(['show-environment']);
    const result = await this.#options.runner('systemctl', args);
    if (result.code === 0) return { ok: true };
    const scope = this.#options.system ? 'systemd' : 'systemd user services';
    const why = result.error === 'ENOENT' ? 'systemctl is not installed' : commandFailure('systemctl', args, result);
    return {
      ok: false,
      reason: `${scope} are not available here (${why}); run \`openclaw gateway\` in the foreground or under another supervisor (on WSL2, enable systemd in /etc/wsl.conf)`,
    };
  }

  async isLoaded(): Promise<boolean> {
    const result = await this.#options.runner('systemctl', this.#scoped(['is-enabled', this.name]));
    return result.code === 0 && result.stdout.trim() === 'enabled';
  }

  async readInstalled(): Promise<ServiceDefinition | undefined> {
    const text = await readOptional(this.definitionPath);
    return text === undefined ? undefined : parseSystemdUnit(text);
  }

  render(definition: ServiceDefinition): string {
    return renderSystemdUnit(definition, { system: this.#options.system, user: this.#options.user });
  }

  async install(definition: ServiceDefinition): Promise<void> {
    await this.#require();
    await writeDefinitionFile(this.definitionPath, this.render(definition));
    await this.#run(['daemon-reload']);
    await this.#run(['enable', this.name]);
    await this.#run(['restart', this.name]);
  }

  async rewrite(definition: ServiceDefinition): Promise<void> {
    await writeDefinitionFile(this.definitionPath, this.render(definition));
    await this.#run(['daemon-reload']);
  }

  async uninstall(): Promise<void> {
    await this.#require();
    await this.#options.runner('systemctl', this.#scoped(['disable', '--now', this.name]));
    await removeFile(this.definitionPath);
    await this.#run(['daemon-reload']);
  }

  async start(): Promise<void> {
    await this.#require();
    await this.#run(['start', this.name]);
  }

  async stop(): Promise<void> {
    await this.#require();
    await this.#run(['stop', this.name]);
  }

  async restart(): Promise<void> {
    await this.#require();
    await this.#run(['restart', this.name]);
  }

  async runtime(): Promise<ServiceRuntime> {
    const args = this.#scoped(['show', this.name, '--no-pager', '--property=ActiveState,SubState,MainPID,ExecMainStatus,LoadState']);
    const result = await this.#options.runner('systemctl', args);
    if (result.code !== 0) return { status: 'unknown', detail: commandFailure('systemctl', args, result) };
    const props: Record<string, string> = {};
    for (const line of result.stdout.split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) props[line.slice(0, at)] = line.slice(at + 1).trim();
    }
    const runtime: ServiceRuntime = {
      status: props.ActiveState === 'active' ? 'running' : props.ActiveState ? 'stopped' : 'unknown',
      state: props.ActiveState,
      subState: props.SubState,
    };
    const pid = Number(props.MainPID);
    if (pid > 0) runtime.pid = pid;
    if (props.ExecMainStatus !== undefined && props.ExecMainStatus !== '') runtime.lastExitStatus = Number(props.ExecMainStatus);
    if (props.LoadState === 'not-found') runtime.detail = 'unit not found';
    return runtime;
  }

  async extraServices(deep: boolean): Promise<ExtraService[]> {
    const dirs: [string, 'user' | 'system'][] = [[this.#options.userUnitDir, 'user']];
    if (deep) dirs.push([this.#options.systemUnitDir ?? '/etc/systemd/system', 'system']);
    const found: ExtraService[] = [];
    for (const [dir, scope] of dirs) {
      for (const file of await scanDir(dir, (name) => name.endsWith('.service'))) {
        if (file.path === this.definitionPath || !(GATEWAY_LIKE.test(file.name) || GATEWAY_LIKE.test(file.text))) continue;
        const marker = /OPENCLAW_SERVICE_KIND=(\w+)/.exec(file.text)?.[1];
        found.push({ label: file.name, detail: `${file.path}${marker ? ` (kind ${marker})` : ''}`, scope });
      }
    }
    return found;
  }

  async #require(): Promise<void> {
    const availability = await this.available();
    if (!availability.ok) throw new ServiceCommandError(availability.reason);
  }

  async #run(args: string[]): Promise<void> {
    const scoped = this.#scoped(args);
    const result = await this.#options.runner('systemctl', scoped);
    if (result.code !== 0) {
      const hints = this.#options.system ? ['system units need root: run with sudo'] : ['check `journalctl --user -u ' + this.name + '`'];
      throw new ServiceCommandError(commandFailure('systemctl', scoped, result), hints);
    }
  }

  #scoped(args: string[]): string[] {
    return this.#options.system ? args : ['--user', ...args];
  }
}
