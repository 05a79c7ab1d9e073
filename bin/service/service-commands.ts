import { resolvePort } from '../../lib/config/index.js';
import type { CliContext } from '../cli-context.js';
import { ServiceCommandError, type GatewayService } from './gateway-service.js';
import { expectedServiceDefinition, gatewayServiceFor, type ServiceHost } from './service-host.js';

export type ServiceAction = 'install' | 'uninstall' | 'start' | 'stop' | 'restart';

export interface ServiceCommandFlags {
  port?: string;
  token?: string;
  runtime?: string;
  force?: boolean;
  json?: boolean;
  /** Linux: a system unit instead of a user unit. */
  system?: boolean;
}

interface ServiceSummary {
  label: string;
  name: string;
  path: string;
  loaded: boolean;
  loadedText: string;
  notLoadedText: string;
}

type Outcome =
  | { action: ServiceAction; ok: true; result: string; message?: string; service?: ServiceSummary; warnings?: string[] }
  | { action: ServiceAction; ok: false; error: string; hints?: string[]; warnings?: string[] };

/**
 * `openclaw gateway install|uninstall|start|stop|restart`: drives the platform's supervisor and
 * reports in their `--json` shapes. Exit 1 when the action failed.
 */
export async function runServiceAction(ctx: CliContext, action: ServiceAction, flags: ServiceCommandFlags, host: ServiceHost): Promise<number> {
  let outcome: Outcome;
  try {
    outcome = await perform(ctx, action, flags, host);
  } catch (err) {
    const hints = err instanceof ServiceCommandError && err.hints.length ? { hints: err.hints } : {};
    outcome = { action, ok: false, error: (err as Error).message, ...hints };
  }
  if (flags.json) {
    host.write(`${JSON.stringify(outcome, null, 2)}\n`);
  } else if (outcome.ok) {
    const lines = [outcome.message ?? `${action}: ${outcome.result}`];
    for (const warning of outcome.warnings ?? []) lines.push(`warning: ${warning}`);
    host.write(`${lines.join('\n')}\n`);
  } else {
    const lines = [`gateway ${action} failed: ${outcome.error}`, ...(outcome.hints ?? []).map((hint) => `hint: ${hint}`)];
    for (const warning of outcome.warnings ?? []) lines.push(`warning: ${warning}`);
    host.write(`${lines.join('\n')}\n`);
  }
  return outcome.ok ? 0 : 1;
}

async function perform(ctx: CliContext, action: ServiceAction, flags: ServiceCommandFlags, host: ServiceHost): Promise<Outcome> {
  const service = gatewayServiceFor(ctx, host, flags.system);
  const availability = await service.available();
  if (!availability.ok) return { action, ok: false, error: availability.reason };
  const where = `${service.label} ${service.name}`;

  if (action === 'install') {
    if (flags.runtime !== undefined && flags.runtime !== 'node' && flags.runtime !== 'bun') {
      return { action, ok: false, error: `--runtime must be node or bun, got ${flags.runtime}` };
    }
    const warnings = installWarnings(ctx, flags);
    if ((await service.isLoaded()) && !flags.force) {
      return {
        action,
        ok: true,
        result: 'already-installed',
        message: `${where} is already installed (${service.definitionPath}); use --force to reinstall`,
        service: await summary(service),
        ...(warnings.length ? { warnings } : {}),
      };
    }
    const { port } = resolvePort({ flag: flags.port, env: ctx.env, config: ctx.loaded.config });
    const definition = expectedServiceDefinition(ctx, host, { port, token: flags.token, runtime: flags.runtime as 'node' | 'bun' | undefined });
    await service.install(definition);
    return {
      action,
      ok: true,
      result: 'installed',
      message: `Installed ${where} (${service.definitionPath}), port ${port}`,
      service: await summary(service),
      ...(warnings.length ? { warnings } : {}),
    };
  }

  if (action === 'uninstall') {
    const installed = (await service.isLoaded()) || (await service.readInstalled()) !== undefined;
    if (!installed) return { action, ok: true, result: 'not-loaded', message: `${where} is not installed` };
    await service.uninstall();
    return { action, ok: true, result: 'uninstalled', message: `Uninstalled ${where}`, service: await summary(service) };
  }

  if (!(await service.isLoaded())) {
    return { action, ok: true, result: 'not-loaded', message: `${where} is not installed; run \`openclaw gateway install\``, service: await summary(service) };
  }
  const past = { start: 'started', stop: 'stopped', restart: 'restarted' } as const;
  await service[action]();
  return { action, ok: true, result: past[action], message: `${past[action][0]!.toUpperCase()}${past[action].slice(1)} ${where}`, service: await summary(service) };
}

async function summary(service: GatewayService): Promise<ServiceSummary> {
  return {
    label: service.label,
    name: service.name,
    path: service.definitionPath,
    loaded: await service.isLoaded(),
    loadedText: service.loadedText,
    notLoadedText: service.notLoadedText,
  };
}

function installWarnings(ctx: CliContext, flags: ServiceCommandFlags): string[] {
  const warnings: string[] = [];
  if (ctx.loaded.config.gateway?.mode !== 'local') {
    warnings.push(`gateway.mode is not "local" in ${ctx.configPath}; the service will refuse to start until it is`);
  }
  if (!flags.token && ctx.env.OPENCLAW_GATEWAY_TOKEN) {
    warnings.push('OPENCLAW_GATEWAY_TOKEN is set in this shell but is not given to the service; pass --token to include it');
  }
  return warnings;
}
