import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDiagnosticContext } from '../../../bin/cli-context.js';
import { GatewayRuntime } from '../../../runtime/gateway-runtime.js';
import { collectGatewayStatus, formatGatewayStatus } from '../../../bin/service/gateway-status.js';
import { runServiceAction } from '../../../bin/service/service-commands.js';
import type { ServiceHost } from '../../../bin/service/service-host.js';
import { FileLogger } from '../../../lib/logging/file-logger.js';
import { TOKEN } from '../../helpers/connect.js';
import { findFreePort } from '../helpers.js';
import { FakeSupervisor } from './fake-supervisor.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const COMMAND = ['/usr/local/bin/node', '/opt/openclaw/dist/bin/openclaw.js'];

async function setup(config: Record<string, unknown>) {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-status-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const stateDir = join(home, '.openclaw');
  await mkdir(stateDir, { recursive: true });
  const logFile = join(home, 'gateway.log');
  await writeFile(join(stateDir, 'openclaw.json'), JSON.stringify({ ...config, logging: { file: logFile } }));
  const env = { HOME: home, PATH: '/usr/bin', OPENCLAW_STATE_DIR: stateDir };
  const ctx = await loadDiagnosticContext({}, env);
  const fake = new FakeSupervisor();
  const host: ServiceHost = { platform: 'linux', home, runner: fake.runner, command: COMMAND, write: () => {} };
  return { home, ctx, fake, host, logFile, unitDir: join(home, '.config', 'systemd', 'user') };
}

describe('gateway status', () => {
  it('reports service and RPC separately, with the last gateway error when the service runs but the port is closed', async () => {
    const port = await findFreePort();
    const s = await setup({ gateway: { mode: 'local', auth: { token: TOKEN } } });
    expect(await runServiceAction(s.ctx, 'install', { port: String(port) }, s.host)).toBe(0);
    new FileLogger({ file: s.logFile }).log('error', 'gateway', 'refusing to start: auth mode is "password" but no password is set');
    await writeFile(join(s.unitDir, 'clawdbot-gateway.service'), '[Service]\nExecStart=/usr/bin/clawdbot gateway\n');

    const report = await collectGatewayStatus(s.ctx, { probe: false }, s.host);
    expect(Object.keys(report).sort()).toEqual(['config', 'extraServices', 'gateway', 'lastError', 'port', 'portCli', 'service']);
    expect(report.service).toEqual({
      label: 'systemd',
      name: 'openclaw-gateway.service',
      loaded: true,
      loadedText: 'enabled',
      notLoadedText: 'disabled',
      command: {
        programArguments: [...COMMAND, 'gateway', '--port', String(port)],
        workingDirectory: s.ctx.stateDir,
        environment: expect.objectContaining({ OPENCLAW_GATEWAY_PORT: String(port), OPENCLAW_SERVICE_KIND: 'gateway' }),
      },
      runtime: { status: 'running', state: 'active', subState: 'running', pid: 4242, lastExitStatus: 0 },
      configAudit: { ok: true, issues: [] },
    });
    expect(report.config).toEqual({
      cli: { path: s.ctx.configPath, exists: true, valid: true },
      daemon: { path: s.ctx.configPath, exists: true, valid: true },
    });
    expect(report.gateway).toEqual({
      bindMode: 'loopback',
      bindHost: '127.0.0.1',
      customBindHost: null,
      port,
      portSource: 'service',
      probeUrl: `ws://127.0.0.1:${port}`,
    });
    expect(report.port).toEqual({ port, status: 'free', listeners: [] });
    expect(report.portCli).toMatchObject({ port: 18789 });
    expect(report.lastError).toMatch(/\[gateway\] refusing to start: auth mode is "password"/);
    expect(report.extraServices).toEqual([
      { label: 'clawdbot-gateway.service', detail: join(s.unitDir, 'clawdbot-gateway.service'), scope: 'user' },
    ]);
    expect(report.rpc).toBeUndefined();

    const text = formatGatewayStatus(report, s.ctx).join('\n');
    expect(text).toContain('Service: systemd openclaw-gateway.service (enabled)');
    expect(text).toContain('Runtime: running, active, pid 4242');
    expect(text).toContain(`Config: ${s.ctx.configPath}`);
    expect(text).toContain(`Probe target: ws://127.0.0.1:${port}`);
    expect(text).toContain('Last gateway error:');
    expect(text).toContain('Gateway: not probed (--no-probe)');
    expect(text).toContain('warning: another gateway-like user service: clawdbot-gateway.service');
  });

  it('flags drift of the installed definition and probes a running gateway', async () => {
    const s = await setup({ gateway: { mode: 'local', auth: { token: TOKEN } } });
    const runtime = new GatewayRuntime({ environment: s.ctx, overrides: { port: '0' }, out: () => {}, plugins: [] });
    await runtime.start();
    cleanups.push(() => runtime.stop());
    await runServiceAction(s.ctx, 'install', { port: String(runtime.port) }, s.host);
    const unitPath = join(s.unitDir, 'openclaw-gateway.service');
    await writeFile(unitPath, (await readFile(unitPath, 'utf8')).replace(/OPENCLAW_SERVICE_VERSION=.*/, 'OPENCLAW_SERVICE_VERSION=0.0.1'));

    const report = await collectGatewayStatus(s.ctx, { timeout: 5000 }, s.host);
    expect(report.service.configAudit.ok).toBe(false);
    expect(report.service.configAudit.issues).toEqual([`environment OPENCLAW_SERVICE_VERSION is 0.0.1, expected ${s.ctx.version}`]);
    expect(report.port.status).toBe('busy');
    expect(report.lastError).toBeUndefined();
    expect(report.rpc).toMatchObject({ ok: true, url: `ws://127.0.0.1:${runtime.port}`, version: s.ctx.version });
  });

  it('without systemd the service part says why and the probe still runs', async () => {
    const s = await setup({ gateway: { mode: 'local', auth: { token: TOKEN } } });
    s.fake.available = false;
    const report = await collectGatewayStatus(s.ctx, { url: 'ws://127.0.0.1:9', timeout: 2000 }, s.host);
    expect(report.service.loaded).toBe(false);
    expect(report.service.runtime).toEqual({ status: 'unknown', detail: expect.stringContaining('systemd user services are not available here') });
    expect(report.gateway.probeUrl).toBe('ws://127.0.0.1:9');
    expect(report.gateway.probeNote).toContain('--url');
    expect(report.rpc).toMatchObject({ ok: false, url: 'ws://127.0.0.1:9', error: expect.any(String) });
  });

  it('an invalid config is reported instead of failing the command', async () => {
    const s = await setup({ gateway: { mode: 'local' } });
    await writeFile(s.ctx.configPath, '{ gateway: { port: "x" } }');
    const ctx = await loadDiagnosticContext({}, { HOME: s.home, PATH: '/usr/bin', OPENCLAW_STATE_DIR: s.ctx.stateDir });
    const report = await collectGatewayStatus(ctx, { probe: false }, s.host);
    expect(report.config.cli).toMatchObject({ valid: false, error: expect.stringContaining('gateway.port: must be integer') });
  });
});
