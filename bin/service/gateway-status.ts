import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, resolveBindHosts, resolvePort, type OpenClawConfig, type PortSource } from '../../lib/config/index.js';
import { rollingLogFile } from '../../lib/logging/file-logger.js';
import { resolveLogFile } from '../../lib/logging/log-tail.js';
import { parseLogLine } from '../../lib/logging/parse-log-line.js';
import type { DiagnosticContext } from '../cli-context.js';
import { probePort, type PortReport } from '../port-probe.js';
import { openRpcSession, type RpcFlags } from '../rpc.js';
import { CLUSTER_STATUS_METHOD, type ClusterStatus } from '../../runtime/cluster-status.js';
import type { ExtraService, ServiceRuntime } from './gateway-service.js';
import { auditServiceDefinition, type ServiceDefinition } from './service-definition.js';
import { expectedServiceDefinition, gatewayServiceFor, type ServiceHost } from './service-host.js';

export interface GatewayStatusFlags extends RpcFlags {
  /** `--no-probe` sets this to false. */
  probe?: boolean;
  deep?: boolean;
  json?: boolean;
}

interface ConfigReport {
  path: string;
  exists: boolean;
  valid: boolean;
  error?: string;
}

/** `gateway status --json`: supervisor and RPC reachability reported separately. */
export interface GatewayStatusReport {
  service: {
    label: string;
    name: string | null;
    loaded: boolean;
    loadedText: string;
    notLoadedText: string;
    command: { programArguments: string[]; workingDirectory?: string; environment?: Record<string, string> } | null;
    runtime: ServiceRuntime;
    configAudit: { ok: boolean; issues: string[] };
  };
  config: { cli: ConfigReport; daemon?: ConfigReport; mismatch?: boolean };
  gateway: {
    bindMode: string;
    bindHost: string | null;
    customBindHost: string | null;
    port: number;
    portSource: PortSource | 'service';
    probeUrl: string;
    probeNote?: string;
  };
  port: PortReport;
  portCli?: PortReport;
  lastError?: string;
  rpc?: { ok: boolean; error?: string; url: string; latencyMs?: number; version?: string };
  /** What a cluster instance says of its cluster: its id, leases, peers (`clawgate.cluster.status`). */
  cluster?: ClusterStatus;
  extraServices: ExtraService[];
}

export interface GatewayStatusProbes {
  port?: (port: number) => Promise<PortReport>;
}

/** Gathers the status report: service definition and runtime, configs, port, last error, RPC probe. */
export async function collectGatewayStatus(
  ctx: DiagnosticContext,
  flags: GatewayStatusFlags,
  host: ServiceHost,
  probes: GatewayStatusProbes = {},
): Promise<GatewayStatusReport> {
  const checkPort = probes.port ?? ((port: number) => probePort(port));
  const cliConfig: ConfigReport = { path: ctx.configPath, exists: ctx.loaded.exists, valid: !ctx.configError };
  if (ctx.configError) cliConfig.error = ctx.configError.message;

  let service: GatewayStatusReport['service'];
  let installed: ServiceDefinition | undefined;
  let extraServices: ExtraService[] = [];
  try {
    const supervisor = gatewayServiceFor(ctx, host);
    const availability = await supervisor.available();
    installed = await supervisor.readInstalled();
    const loaded = availability.ok ? await supervisor.isLoaded() : false;
    const runtime: ServiceRuntime = availability.ok
      ? loaded || installed
        ? await supervisor.runtime()
        : { status: 'stopped', detail: 'not installed' }
      : { status: 'unknown', detail: availability.reason };
    let issues: string[] = [];
    if (installed) {
      const port = Number(installed.environment.OPENCLAW_GATEWAY_PORT) || resolvePort({ env: ctx.env, config: ctx.loaded.config }).port;
      const expected = expectedServiceDefinition(ctx, host, { port });
      issues = auditServiceDefinition(installed, expected);
    }
    service = {
      label: supervisor.label,
      name: supervisor.name,
      loaded,
      loadedText: supervisor.loadedText,
      notLoadedText: supervisor.notLoadedText,
      command: installed
        ? {
            programArguments: installed.programArguments,
            ...(installed.workingDirectory ? { workingDirectory: installed.workingDirectory } : {}),
            environment: filterEnvironment(installed.environment),
          }
        : null,
      runtime,
      configAudit: { ok: issues.length === 0, issues },
    };
    extraServices = await supervisor.extraServices(Boolean(flags.deep));
  } catch (err) {
    service = {
      label: 'none',
      name: null,
      loaded: false,
      loadedText: 'installed',
      notLoadedText: 'not installed',
      command: null,
      runtime: { status: 'unknown', detail: (err as Error).message },
      configAudit: { ok: true, issues: [] },
    };
  }

  // The service's own settings win: that is the gateway this host runs.
  let config: OpenClawConfig = ctx.loaded.config;
  const configs: GatewayStatusReport['config'] = { cli: cliConfig };
  if (installed) {
    const daemonPath = installed.environment.OPENCLAW_CONFIG_PATH ?? ctx.configPath;
    const daemon: ConfigReport = { path: daemonPath, exists: false, valid: false };
    try {
      const loaded = await loadConfig({ path: daemonPath, env: { ...installed.environment } });
      Object.assign(daemon, { exists: loaded.exists, valid: true });
      config = loaded.config;
    } catch (err) {
      Object.assign(daemon, { exists: true, error: (err as Error).message });
    }
    configs.daemon = daemon;
    if (daemonPath !== ctx.configPath) configs.mismatch = true;
  }

  const cliPort = resolvePort({ env: ctx.env, config: ctx.loaded.config });
  const servicePort = Number(installed?.environment.OPENCLAW_GATEWAY_PORT);
  const port = servicePort > 0 ? servicePort : cliPort.port;
  const bindMode = config.gateway?.bind ?? 'loopback';
  let bindHost: string | null = null;
  try {
    bindHost = resolveBindHosts(bindMode, config.gateway?.customBindHost)[0] ?? null;
  } catch {
    bindHost = null;
  }
  const probeHost = bindMode === 'custom' && bindHost ? bindHost : '127.0.0.1';
  const gateway: GatewayStatusReport['gateway'] = {
    bindMode,
    bindHost,
    customBindHost: config.gateway?.customBindHost ?? null,
    port,
    portSource: servicePort > 0 ? 'service' : cliPort.source,
    probeUrl: flags.url ?? `ws://${probeHost}:${port}`,
  };
  if (flags.url) gateway.probeNote = '--url given: the probe goes there, not to the service port';
  else if (bindMode === 'lan') gateway.probeNote = 'bind=lan listens on every interface; probing through loopback';

  const report: GatewayStatusReport = { service, config: configs, gateway, port: await checkPort(port), extraServices };
  if (cliPort.port !== port) report.portCli = await checkPort(cliPort.port);
  if (service.runtime.status === 'running' && report.port.status !== 'busy') {
    const line = await lastGatewayError(ctx.stateDir, config, installed);
    if (line) report.lastError = line;
  }
  if (flags.probe !== false) report.rpc = await probeRpc(ctx, flags, gateway.probeUrl, report);
  return report;
}

async function probeRpc(ctx: DiagnosticContext, flags: GatewayStatusFlags, url: string, report: GatewayStatusReport): Promise<NonNullable<GatewayStatusReport['rpc']>> {
  try {
    const session = await openRpcSession(ctx, { ...flags, url });
    try {
      await session.client.call('status', {}, { timeoutMs: flags.timeout });
      if (session.hello.features.methods.includes(CLUSTER_STATUS_METHOD)) {
        report.cluster = await session.client.call<ClusterStatus>(CLUSTER_STATUS_METHOD, {}, { timeoutMs: flags.timeout });
      }
      return { ok: true, url, latencyMs: session.connectLatencyMs, version: session.hello.server.version };
    } finally {
      await session.close();
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message, url };
  }
}

/** The newest error from the gateway's file log, else the last line of the service's stderr log. */
async function lastGatewayError(stateDir: string, config: OpenClawConfig, installed: ServiceDefinition | undefined): Promise<string | undefined> {
  const file = await resolveLogFile(config.logging?.file ?? rollingLogFile(new Date()));
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const line of text.split('\n').reverse()) {
    const parsed = parseLogLine(line);
    if (parsed && (parsed.level === 'error' || parsed.level === 'fatal')) {
      return `${parsed.time ?? ''} [${parsed.subsystem ?? 'gateway'}] ${parsed.message}`.trim();
    }
  }
  const prefix = installed?.environment.OPENCLAW_LOG_PREFIX || 'gateway';
  const errLog = await readFile(join(installed?.environment.OPENCLAW_STATE_DIR ?? stateDir, 'logs', `${prefix}.err.log`), 'utf8').catch(() => '');
  return errLog.split('\n').map((line) => line.trim()).filter(Boolean).at(-1);
}

/** The service environment without secrets and without the noise (HOME, PATH). */
function filterEnvironment(environment: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(environment)) {
    if (key.startsWith('OPENCLAW_') && !/TOKEN|PASSWORD/.test(key)) out[key] = value;
  }
  return out;
}

/** The human form: one fact per line, the config path and probe target always shown. */
export function formatGatewayStatus(report: GatewayStatusReport, ctx: DiagnosticContext): string[] {
  const s = report.service;
  const lines: string[] = [];
  if (s.name === null) {
    lines.push(`Service: ${s.runtime.detail}`);
  } else {
    lines.push(`Service: ${s.label} ${s.name} (${s.loaded ? s.loadedText : s.notLoadedText})`);
    const runtime = [s.runtime.status, s.runtime.state && s.runtime.state !== s.runtime.status ? s.runtime.state : undefined, s.runtime.pid ? `pid ${s.runtime.pid}` : undefined]
      .filter(Boolean)
      .join(', ');
    lines.push(`Runtime: ${runtime}${s.runtime.detail ? ` (${s.runtime.detail})` : ''}`);
    if (s.command) lines.push(`Command: ${s.command.programArguments.join(' ')}`);
    for (const issue of s.configAudit.issues) lines.push(`Service definition drift: ${issue} (fix: openclaw doctor --fix)`);
  }
  lines.push(`Config: ${report.config.cli.path}${report.config.cli.exists ? '' : ' (missing)'}${report.config.cli.valid ? '' : ` (invalid: ${report.config.cli.error})`}`);
  if (report.config.daemon && report.config.mismatch) lines.push(`Config (service): ${report.config.daemon.path}`);
  const g = report.gateway;
  lines.push(`Bind: ${g.bindMode}${g.bindHost ? ` (${g.bindHost})` : ''}, port ${g.port} (${g.portSource})`);
  lines.push(`Probe target: ${g.probeUrl}${g.probeNote ? ` (${g.probeNote})` : ''}`);
  const who = report.port.listeners.map((l) => `pid ${l.pid}${l.command ? ` ${l.command}` : ''}`).join('; ');
  lines.push(`Port ${report.port.port}: ${report.port.status}${who ? ` (${who})` : ''}`);
  if (report.portCli) lines.push(`Port ${report.portCli.port} (this shell's config): ${report.portCli.status}`);
  if (report.lastError) lines.push(`Last gateway error: ${report.lastError}`);
  if (report.rpc) {
    lines.push(
      report.rpc.ok
        ? `Gateway: ${report.rpc.url} (reachable, ${report.rpc.latencyMs} ms, v${report.rpc.version})`
        : `Gateway: ${report.rpc.url} (unreachable: ${report.rpc.error})`,
    );
  } else {
    lines.push('Gateway: not probed (--no-probe)');
  }
  if (report.cluster) lines.push(...formatClusterStatus(report.cluster));
  for (const extra of report.extraServices) {
    lines.push(`warning: another gateway-like ${extra.scope} service: ${extra.label} (${extra.detail}); one gateway per host unless profiles keep them apart`);
  }
  if (ctx.profile !== 'default') lines.push(`Profile: ${ctx.profile}`);
  return lines;
}

function formatClusterStatus(c: ClusterStatus): string[] {
  const lines = [`Cluster instance: ${c.instanceId}`];
  if (c.postgres) lines.push(`Cluster store: PostgreSQL schema ${c.postgres.schema} (${c.postgres.ok ? `reachable, ${c.postgres.latencyMs} ms` : `unreachable: ${c.postgres.error}`})`);
  if (c.nats) lines.push(`Cluster events: NATS stream ${c.nats.stream} (${c.nats.ok ? `reachable, ${c.nats.latencyMs} ms, ${c.nats.messages} events, last ${c.nats.lastSeq}` : `unreachable: ${c.nats.error}`})`);
  const held = c.leases?.held ?? [];
  lines.push(`Leases held: ${held.length ? held.map((l) => `${l.key} (fencing token ${l.fencingToken})`).join(', ') : 'none'}`);
  for (const l of (c.leases?.all ?? []).filter((l) => l.holder !== c.instanceId)) lines.push(`Lease ${l.key}: ${l.holder ?? 'free'} (fencing token ${l.fencingToken})`);
  lines.push(`Peers: ${c.peers.length ? c.peers.map((p) => `${p.instanceId}${p.host ? ` on ${p.host}` : ''} (${p.clients} clients)`).join(', ') : 'none heard'}`);
  return lines;
}

/** `openclaw gateway status`. */
export async function runGatewayStatus(ctx: DiagnosticContext, flags: GatewayStatusFlags, host: ServiceHost): Promise<number> {
  const report = await collectGatewayStatus(ctx, flags, host);
  host.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatGatewayStatus(report, ctx).join('\n')}\n`);
  return 0;
}
