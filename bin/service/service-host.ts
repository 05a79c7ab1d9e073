import { homedir } from 'node:os';
import type { CliContext } from '../cli-context.js';
import type { CommandRunner } from './command-runner.js';
import { createGatewayService } from './create-gateway-service.js';
import type { GatewayService } from './gateway-service.js';
import { buildGatewayServiceDefinition, currentCliCommand, type ServiceDefinition, type ServicePlatform } from './service-definition.js';

/** The machine the service commands act on; everything injectable so tests can fake a platform. */
export interface ServiceHost {
  platform: string;
  home: string;
  runner?: CommandRunner;
  uid?: number;
  systemUnitDir?: string;
  /** The interpreter + CLI entry a service runs; default: how this process was started. */
  command?: string[];
  write: (text: string) => void;
}

export function defaultServiceHost(ctx: CliContext): ServiceHost {
  return { platform: process.platform, home: ctx.env.HOME || homedir(), write: (text) => process.stdout.write(text) };
}

export function gatewayServiceFor(ctx: CliContext, host: ServiceHost, system = false): GatewayService {
  return createGatewayService({
    platform: host.platform,
    profile: ctx.profile,
    home: host.home,
    stateDir: ctx.stateDir,
    env: ctx.env,
    runner: host.runner,
    system,
    systemUnitDir: host.systemUnitDir,
    uid: host.uid,
  });
}

/** What `gateway install` writes for this profile now (doctor compares installed services with it). */
export function expectedServiceDefinition(
  ctx: CliContext,
  host: ServiceHost,
  options: { port: number; token?: string; runtime?: 'node' | 'bun' },
): ServiceDefinition {
  return buildGatewayServiceDefinition({
    platform: host.platform as ServicePlatform,
    profile: ctx.profile,
    stateDir: ctx.stateDir,
    configPath: ctx.configPath,
    home: host.home,
    port: options.port,
    version: ctx.version,
    token: options.token,
    command: host.command ?? currentCliCommand(options.runtime, ctx.env),
    path: ctx.env.PATH,
  });
}
