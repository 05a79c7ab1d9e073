import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { EnvMap } from '../../lib/config/index.js';
import { execCommandRunner, type CommandRunner } from './command-runner.js';
import type { GatewayService } from './gateway-service.js';
import { LaunchdService } from './launchd-service.js';
import { ScheduledTaskService } from './scheduled-task-service.js';
import { gatewayServiceNames } from './service-names.js';
import { SystemdService } from './systemd-service.js';

export interface CreateGatewayServiceOptions {
  platform: string;
  profile: string;
  home: string;
  stateDir: string;
  env: EnvMap;
  runner?: CommandRunner;
  /** Linux: a system unit instead of a user unit. */
  system?: boolean;
  /** Linux: where system units live (default `/etc/systemd/system`). */
  systemUnitDir?: string;
  /** macOS: the launchd GUI domain's uid (default: this process's). */
  uid?: number;
}

/** The supervisor of this platform for the profile's gateway; throws on platforms without one. */
export function createGatewayService(options: CreateGatewayServiceOptions): GatewayService {
  const names = gatewayServiceNames(options.profile);
  const runner = options.runner ?? execCommandRunner;
  switch (options.platform) {
    case 'linux':
      return new SystemdService({
        unit: names.systemdUnit,
        runner,
        userUnitDir: join(options.env.XDG_CONFIG_HOME || join(options.home, '.config'), 'systemd', 'user'),
        systemUnitDir: options.systemUnitDir,
        system: options.system,
        user: options.system ? (options.env.SUDO_USER ?? safeUsername()) : undefined,
      });
    case 'darwin':
      return new LaunchdService({
        label: names.launchdLabel,
        runner,
        home: options.home,
        stateDir: options.stateDir,
        uid: options.uid ?? process.getuid?.() ?? 501,
        logPrefix: options.env.OPENCLAW_LOG_PREFIX,
        legacyLabels: names.legacyLaunchdLabels,
      });
    case 'win32': {
      const user = options.env.USERNAME ? (options.env.USERDOMAIN ? `${options.env.USERDOMAIN}\\${options.env.USERNAME}` : options.env.USERNAME) : undefined;
      return new ScheduledTaskService({ taskName: names.windowsTaskName, runner, stateDir: options.stateDir, user });
    }
    default:
      throw new Error(`service management is not supported on ${options.platform}; run \`openclaw gateway\` under your own supervisor`);
  }
}

function safeUsername(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
