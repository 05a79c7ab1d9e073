import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { EnvMap } from '../../lib/config/index.js';
import { gatewayServiceDescription, gatewayServiceNames } from './service-names.js';

/** What a supervisor runs: the same for systemd, launchd and Task Scheduler; only the file differs. */
export interface ServiceDefinition {
  description: string;
  programArguments: string[];
  workingDirectory?: string;
  environment: Record<string, string>;
}

export type ServicePlatform = 'linux' | 'darwin' | 'win32';

export interface GatewayServiceInput {
  platform: ServicePlatform;
  profile: string;
  stateDir: string;
  configPath: string;
  home: string;
  port: number;
  version: string;
  /** Put into the service environment (`--token`); otherwise the service reads the config file. */
  token?: string;
  /** The interpreter and CLI entry to run, e.g. `[node, --import, tsx, bin/openclaw.ts]`. */
  command: string[];
  /** PATH of the installing shell, for Windows (elsewhere a minimal PATH is written). */
  path?: string;
}

/**
 * The gateway service of a profile: `<node> <entry> gateway --port <port>`, working in the state
 * dir, with its environment (paths, port, names and the install markers).
 */
export function buildGatewayServiceDefinition(input: GatewayServiceInput): ServiceDefinition {
  const names = gatewayServiceNames(input.profile);
  const environment: Record<string, string> = {
    HOME: input.home,
    PATH: servicePath(input),
  };
  if (input.profile !== 'default') environment.OPENCLAW_PROFILE = input.profile;
  Object.assign(environment, {
    OPENCLAW_STATE_DIR: input.stateDir,
    OPENCLAW_CONFIG_PATH: input.configPath,
    OPENCLAW_GATEWAY_PORT: String(input.port),
  });
  if (input.token) environment.OPENCLAW_GATEWAY_TOKEN = input.token;
  Object.assign(environment, {
    OPENCLAW_LAUNCHD_LABEL: names.launchdLabel,
    OPENCLAW_SYSTEMD_UNIT: names.systemdUnit,
    OPENCLAW_SERVICE_MARKER: 'openclaw',
    OPENCLAW_SERVICE_KIND: 'gateway',
    OPENCLAW_SERVICE_VERSION: input.version,
  });
  return {
    description: gatewayServiceDescription(input.profile, input.version),
    programArguments: [...input.command, 'gateway', '--port', String(input.port)],
    workingDirectory: input.stateDir,
    environment,
  };
}

/** A supervisor starts with almost no PATH: the node directory plus the system directories. */
function servicePath(input: GatewayServiceInput): string {
  if (input.platform === 'win32') return input.path ?? '';
  const dirs = [dirname(input.command[0] ?? '/usr/bin/node')];
  if (input.platform === 'darwin') dirs.push('/opt/homebrew/bin');
  dirs.push('/usr/local/bin', '/usr/bin', '/bin');
  return [...new Set(dirs)].join(':');
}

/**
 * How this CLI was started, as a service should start it: the interpreter, its loader flags (tsx
 * when running from source) and the entry script. `bun` runs the entry with bun instead.
 */
export function currentCliCommand(runtime: 'node' | 'bun' = 'node', env: EnvMap = process.env): string[] {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell which script is running; start openclaw through its bin entry');
  if (runtime === 'bun') {
    const bun = findOnPath('bun', env);
    if (!bun) throw new Error('--runtime bun: bun is not on PATH');
    return [bun, entry];
  }
  const loaderArgs: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((arg === '--import' || arg === '--loader' || arg === '--require') && argv[i + 1]) loaderArgs.push(arg, argv[++i]!);
    else if (/^--(import|loader|require)=/.test(arg)) loaderArgs.push(arg);
  }
  return [process.execPath, ...loaderArgs, entry];
}

function findOnPath(name: string, env: EnvMap): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, process.platform === 'win32' ? `${name}.exe` : name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Differences between an installed definition and what `install` would write now (doctor, status). */
export function auditServiceDefinition(installed: ServiceDefinition, expected: ServiceDefinition): string[] {
  const issues: string[] = [];
  if (JSON.stringify(installed.programArguments) !== JSON.stringify(expected.programArguments)) {
    issues.push(`command is "${installed.programArguments.join(' ')}", expected "${expected.programArguments.join(' ')}"`);
  }
  if ((installed.workingDirectory ?? '') !== (expected.workingDirectory ?? '')) {
    issues.push(`working directory is ${installed.workingDirectory ?? '(none)'}, expected ${expected.workingDirectory ?? '(none)'}`);
  }
  // The token is the operator's choice at install time; its absence is not drift.
  const keys = new Set([...Object.keys(installed.environment), ...Object.keys(expected.environment)]);
  keys.delete('OPENCLAW_GATEWAY_TOKEN');
  for (const key of [...keys].sort()) {
    const have = installed.environment[key];
    const want = expected.environment[key];
    if (have === want) continue;
    if (want === undefined) issues.push(`environment ${key} is set but no longer used`);
    else if (have === undefined) issues.push(`environment ${key} is missing (expected ${want})`);
    else issues.push(`environment ${key} is ${have}, expected ${want}`);
  }
  return issues;
}
