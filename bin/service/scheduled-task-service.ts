import { join } from 'node:path';
import { commandFailure, type CommandRunner } from './command-runner.js';
import { ServiceCommandError, type Availability, type ExtraService, type GatewayService, type ServiceRuntime } from './gateway-service.js';
import type { ServiceDefinition } from './service-definition.js';
import { readOptional, removeFile, writeDefinitionFile } from './service-files.js';
import { parseGatewayCmd, renderGatewayCmd, schtasksCreateArgs } from './windows-task.js';

export interface ScheduledTaskServiceOptions {
  taskName: string;
  runner: CommandRunner;
  stateDir: string;
  /** `/RU` of the task (`DOMAIN\user`); without it the task runs as whoever creates it. */
  user?: string;
}

/** The gateway as a Task Scheduler task that runs `$STATE/gateway.cmd` at logon. */
export class ScheduledTaskService implements GatewayService {
  readonly label = 'Scheduled Task';
  readonly loadedText = 'registered';
  readonly notLoadedText = 'missing';
  readonly name: string;
  readonly definitionPath: string;
  readonly #options: ScheduledTaskServiceOptions;

  constructor(options: ScheduledTaskServiceOptions) {
    this.#options = options;
    this.name = options.taskName;
    this.definitionPath = join(options.stateDir, 'gateway.cmd');
  }

  async available(): Promise<Availability> {
    const result = await this.#options.runner('schtasks', ['/Query', '/FO', 'LIST']);
    if (result.code === 0) return { ok: true };
    return { ok: false, reason: `Task Scheduler is not available here (${commandFailure('schtasks', ['/Query'], result)})` };
  }

  async isLoaded(): Promise<boolean> {
    return (await this.#options.runner('schtasks', ['/Query', '/TN', this.name])).code === 0;
  }

  async readInstalled(): Promise<ServiceDefinition | undefined> {
    const text = await readOptional(this.definitionPath);
    return text === undefined ? undefined : parseGatewayCmd(text);
  }

  render(definition: ServiceDefinition): string {
    return renderGatewayCmd(definition);
  }

  async install(definition: ServiceDefinition): Promise<void> {
    await writeDefinitionFile(this.definitionPath, this.render(definition));
    await this.#run(schtasksCreateArgs(this.name, this.definitionPath, this.#options.user));
    await this.#run(['/Run', '/TN', this.name]);
  }

  async rewrite(definition: ServiceDefinition): Promise<void> {
    await writeDefinitionFile(this.definitionPath, this.render(definition));
  }

  async uninstall(): Promise<void> {
    await this.#options.runner('schtasks', ['/End', '/TN', this.name]);
    await this.#run(['/Delete', '/F', '/TN', this.name]);
    await removeFile(this.definitionPath);
  }

  async start(): Promise<void> {
    await this.#run(['/Run', '/TN', this.name]);
  }

  async stop(): Promise<void> {
    await this.#run(['/End', '/TN', this.name]);
  }

  async restart(): Promise<void> {
    await this.#options.runner('schtasks', ['/End', '/TN', this.name]);
    await this.#run(['/Run', '/TN', this.name]);
  }

  async runtime(): Promise<ServiceRuntime> {
    const result = await this.#options.runner('schtasks', ['/Query', '/TN', this.name, '/V', '/FO', 'LIST']);
    if (result.code !== 0) return { status: 'stopped', detail: 'task not found' };
    const state = /^Status:\s*(.+)$/m.exec(result.stdout)?.[1]?.trim();
    const last = /^Last Result:\s*(-?\d+)/m.exec(result.stdout)?.[1];
    const runtime: ServiceRuntime = { status: state === 'Running' ? 'running' : state ? 'stopped' : 'unknown', state };
    if (last !== undefined) runtime.lastExitStatus = Number(last);
    return runtime;
  }

  async extraServices(): Promise<ExtraService[]> {
    const result = await this.#options.runner('schtasks', ['/Query', '/FO', 'CSV', '/NH']);
    if (result.code !== 0) return [];
    const names = new Set<string>();
    for (const line of result.stdout.split(/\r?\n/)) {
      const name = /^"\\?([^"]+)"/.exec(line)?.[1];
      if (name && name !== this.name && /openclaw|clawdbot|moltbot/i.test(name)) names.add(name);
    }
    return [...names].map((name) => ({ label: name, detail: `scheduled task ${name}`, scope: 'user' as const }));
  }

  async #run(args: string[]): Promise<void> {
    const result = await this.#options.runner('schtasks', args);
    if (result.code !== 0) throw new ServiceCommandError(commandFailure('schtasks', args, result));
  }
}
