import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { rotateConfigBackups } from '../lib/config/config-backups.js';
import { configKeyReport } from '../lib/config/config-key-report.js';
import { migrateConfig } from '../lib/config/config-migration.js';
import { resolvePort } from '../lib/config/index.js';
import { writeConfigFile } from '../lib/config/write-config.js';
import type { DiagnosticContext } from './cli-context.js';
import { checkCluster } from './doctor-cluster.js';
import { probePort } from './port-probe.js';
import { auditServiceDefinition } from './service/service-definition.js';
import { expectedServiceDefinition, gatewayServiceFor, type ServiceHost } from './service/service-host.js';

export interface DoctorFlags {
  fix?: boolean;
  json?: boolean;
}

export type DoctorStatus = 'ok' | 'warn' | 'error' | 'fixed' | 'skip';

export interface DoctorCheck {
  id: 'config' | 'config-dialect' | 'config-unused' | 'config-permissions' | 'state-dir' | 'port' | 'service' | 'legacy' | 'cluster';
  status: DoctorStatus;
  message: string;
  /** What to do about a warn/error that `--fix` does not repair. */
  hint?: string;
  details?: string[];
}

export interface DoctorReport {
  ok: boolean;
  fix: boolean;
  checks: DoctorCheck[];
}

/**
 * `openclaw doctor`: config validity, state-dir permissions, port conflicts, service definition
 * drift and legacy leftovers. `--fix` repairs what is safe to repair (permissions, the service
 * definition); everything else gets a hint.
 */
export async function runDoctor(ctx: DiagnosticContext, flags: DoctorFlags, host: ServiceHost): Promise<number> {
  const checks = [
    await checkConfig(ctx),
    ...(await checkConfigKeys(ctx, Boolean(flags.fix))),
    ...(await checkPermissions(ctx, Boolean(flags.fix))),
    await checkPort(ctx),
    await checkService(ctx, host, Boolean(flags.fix)),
    await checkLegacy(ctx, host.home),
    ...(await checkCluster(ctx.loaded.config)),
  ];
  const report: DoctorReport = { ok: !checks.some((c) => c.status === 'error'), fix: Boolean(flags.fix), checks };
  if (flags.json) {
    host.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    for (const check of checks) {
      lines.push(`[${check.status}] ${check.id}: ${check.message}`);
      for (const detail of check.details ?? []) lines.push(`    - ${detail}`);
      if (check.hint) lines.push(`    hint: ${check.hint}`);
    }
    lines.push(report.ok ? 'doctor: no errors' : 'doctor: errors found');
    host.write(`${lines.join('\n')}\n`);
  }
  return report.ok ? 0 : 1;
}

async function checkConfig(ctx: DiagnosticContext): Promise<DoctorCheck> {
  if (ctx.configError) {
    return { id: 'config', status: 'error', message: ctx.configError.message, hint: `edit ${ctx.configPath}; the gateway will not start until it is valid` };
  }
  if (!ctx.loaded.exists) {
    return { id: 'config', status: 'warn', message: `no config file at ${ctx.configPath}`, hint: 'create it with {"gateway":{"mode":"local"}} or start with --allow-unconfigured' };
  }
  if (ctx.loaded.config.gateway?.mode !== 'local') {
    return {
      id: 'config',
      status: 'warn',
      message: `${ctx.configPath} is valid but gateway.mode is ${JSON.stringify(ctx.loaded.config.gateway?.mode ?? null)}`,
      hint: 'set gateway.mode to "local" to run a gateway on this host',
    };
  }
  return { id: 'config', status: 'ok', message: `${ctx.configPath} is valid` };
}

/**
 * Keys of this gateway's old dialect (upstream refuses them, so the upstream CLI stops at "Config
 * invalid" on a shared state dir) and keys upstream accepts that this gateway does not act on.
 * `--fix` rewrites the old keys into upstream's, keeping the previous file as `<config>.bak`.
 */
async function checkConfigKeys(ctx: DiagnosticContext, fix: boolean): Promise<DoctorCheck[]> {
  if (ctx.configError || !ctx.loaded.exists) return [];
  const report = await configKeyReport(ctx.loaded.config);
  const checks: DoctorCheck[] = [];
  if (report.legacy.length && fix) {
    const { config, changes } = migrateConfig(ctx.loaded.parsed as Record<string, unknown>);
    await rotateConfigBackups(ctx.configPath);
    await writeConfigFile(ctx.configPath, config);
    checks.push({ id: 'config-dialect', status: 'fixed', message: `rewrote ${changes.length} old keys in ${ctx.configPath} (previous file: ${ctx.configPath}.bak)`, details: changes });
  } else if (report.legacy.length) {
    checks.push({
      id: 'config-dialect',
      status: 'warn',
      message: `${report.legacy.length} keys in this gateway's old dialect, which upstream OpenClaw refuses`,
      details: report.legacy.map((k) => `${k.path} → ${k.replacement}`),
      hint: 'openclaw doctor --fix rewrites them (the previous file is kept as .bak)',
    });
  } else {
    checks.push({ id: 'config-dialect', status: 'ok', message: 'every key is spelled as upstream OpenClaw spells it' });
  }
  if (report.unused.length) {
    checks.push({ id: 'config-unused', status: 'ok', message: `${report.unused.length} keys accepted, not used by this gateway`, details: report.unused });
  }
  return checks;
}

async function checkPermissions(ctx: DiagnosticContext, fix: boolean): Promise<DoctorCheck[]> {
  if (process.platform === 'win32') return [{ id: 'state-dir', status: 'skip', message: 'permissions are not checked on Windows' }];
  return [
    await checkMode('state-dir', ctx.stateDir, 0o700, 'state dir', fix),
    await checkMode('config-permissions', ctx.configPath, 0o600, 'config file (it holds secrets)', fix),
  ];
}

async function checkMode(id: DoctorCheck['id'], path: string, expected: number, what: string, fix: boolean): Promise<DoctorCheck> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { id, status: 'ok', message: `${what} ${path} does not exist yet` };
    return { id, status: 'error', message: `cannot read ${path}: ${(err as Error).message}` };
  }
  const octal = (n: number) => n.toString(8).padStart(3, '0');
  if ((mode & ~expected & 0o777) === 0) return { id, status: 'ok', message: `${what} ${path} is ${octal(mode)}` };
  if (!fix) {
    return { id, status: 'warn', message: `${what} ${path} is ${octal(mode)}; expected ${octal(expected)}`, hint: `openclaw doctor --fix (or chmod ${octal(expected)} ${path})` };
  }
  await chmod(path, expected);
  return { id, status: 'fixed', message: `${what} ${path} was ${octal(mode)}; now ${octal(expected)}` };
}

async function checkPort(ctx: DiagnosticContext): Promise<DoctorCheck> {
  const { port, source } = resolvePort({ env: ctx.env, config: ctx.loaded.config });
  const report = await probePort(port);
  if (report.status === 'free') return { id: 'port', status: 'ok', message: `port ${port} (${source}) is free` };
  if (report.status === 'unknown') return { id: 'port', status: 'warn', message: `could not tell whether port ${port} is free` };
  if (await speaksGatewayProtocol(port)) return { id: 'port', status: 'ok', message: `a gateway is listening on port ${port} (${source})` };
  const who = report.listeners.map((l) => `pid ${l.pid}${l.command ? ` (${l.command})` : ''}`);
  return {
    id: 'port',
    status: 'error',
    message: `port ${port} (${source}) is taken by something that is not an OpenClaw gateway`,
    ...(who.length ? { details: who } : {}),
    hint: 'stop that process, pick another port (gateway.port or --port), or start with --force',
  };
}

/** Whether the listener on the port greets like a gateway (`connect.challenge` first). */
function speaksGatewayProtocol(port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`);
    const done = (value: boolean) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(value);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    ws.on('message', (data) => {
      try {
        const frame = JSON.parse(String(data)) as { type?: string; event?: string };
        done(frame.type === 'event' && frame.event === 'connect.challenge');
      } catch {
        done(false);
      }
    });
    ws.on('error', () => done(false));
    ws.on('close', () => done(false));
  });
}

async function checkService(ctx: DiagnosticContext, host: ServiceHost, fix: boolean): Promise<DoctorCheck> {
  let service;
  try {
    service = gatewayServiceFor(ctx, host);
  } catch (err) {
    return { id: 'service', status: 'skip', message: (err as Error).message };
  }
  const installed = await service.readInstalled();
  if (!installed) return { id: 'service', status: 'ok', message: `no ${service.label} service installed for profile ${ctx.profile}` };
  const port = Number(installed.environment.OPENCLAW_GATEWAY_PORT) || resolvePort({ env: ctx.env, config: ctx.loaded.config }).port;
  const token = installed.environment.OPENCLAW_GATEWAY_TOKEN;
  const expected = expectedServiceDefinition(ctx, host, { port, token });
  const issues = auditServiceDefinition(installed, expected);
  if (issues.length === 0) return { id: 'service', status: 'ok', message: `${service.label} ${service.name} matches the current defaults` };
  if (!fix) {
    return { id: 'service', status: 'warn', message: `${service.label} ${service.name} differs from what install writes now`, details: issues, hint: 'openclaw doctor --fix rewrites it' };
  }
  try {
    await service.rewrite(expected);
  } catch (err) {
    return {
      id: 'service',
      status: 'warn',
      message: `rewrote ${service.definitionPath}, but the supervisor did not reload it: ${(err as Error).message}`,
      details: issues,
      hint: 'openclaw gateway restart',
    };
  }
  return { id: 'service', status: 'fixed', message: `rewrote ${service.definitionPath} to the current defaults; run \`openclaw gateway restart\` to use it`, details: issues };
}

async function checkLegacy(ctx: DiagnosticContext, home: string): Promise<DoctorCheck> {
  const found: string[] = [];
  for (const dir of ['.clawdbot', '.moltbot']) {
    const path = join(home, dir);
    if (await exists(path)) found.push(`${path} (state of a pre-OpenClaw install)`);
  }
  for (const name of Object.keys(ctx.env).sort()) {
    if (/^(CLAWDBOT|MOLTBOT)_/.test(name) && ctx.env[name] !== undefined) found.push(`environment variable ${name} (use the OPENCLAW_ name)`);
  }
  if (found.length === 0) return { id: 'legacy', status: 'ok', message: 'no legacy files or variables' };
  return {
    id: 'legacy',
    status: 'warn',
    message: 'legacy clawdbot/moltbot leftovers found',
    details: found,
    hint: `move what you still need into ${ctx.stateDir} and rename variables to OPENCLAW_*; doctor never deletes them`,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
