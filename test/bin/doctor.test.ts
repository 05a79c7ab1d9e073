import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDiagnosticContext } from '../../bin/cli-context.js';
import { runDoctor, type DoctorReport } from '../../bin/doctor.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { runServiceAction } from '../../bin/service/service-commands.js';
import type { ServiceHost } from '../../bin/service/service-host.js';
import { TOKEN } from '../helpers/connect.js';
import { killAll, makeEnv, runCli } from './helpers.js';
import { FakeSupervisor } from './service/fake-supervisor.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await killAll();
});

const COMMAND = ['/usr/local/bin/node', '/opt/openclaw/dist/bin/openclaw.js'];

async function setup(config: unknown, extraEnv: Record<string, string> = {}) {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-doctor-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const stateDir = join(home, '.openclaw');
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  await writeFile(join(stateDir, 'openclaw.json'), typeof config === 'string' ? config : JSON.stringify(config), { mode: 0o600 });
  const env = { HOME: home, PATH: '/usr/bin', OPENCLAW_STATE_DIR: stateDir, ...extraEnv };
  const fake = new FakeSupervisor();
  let output = '';
  const host: ServiceHost = { platform: 'linux', home, runner: fake.runner, command: COMMAND, write: (t) => (output += t) };
  const doctor = async (fix = false) => {
    output = '';
    const ctx = await loadDiagnosticContext({}, env);
    const code = await runDoctor(ctx, { json: true, fix }, host);
    const report = JSON.parse(output) as DoctorReport;
    return { code, report, check: (id: string) => report.checks.find((c) => c.id === id)! };
  };
  return { home, stateDir, env, fake, host, doctor };
}

/** A free port for the config, so the port check does not depend on what else runs here. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('openclaw doctor', () => {
  it('a healthy setup passes every check', async () => {
    const s = await setup({ gateway: { mode: 'local', port: await freePort() } });
    const { code, report } = await s.doctor();
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['config', 'ok'],
      ['config-dialect', 'ok'],
      ['state-dir', 'ok'],
      ['config-permissions', 'ok'],
      ['port', 'ok'],
      ['service', 'ok'],
      ['legacy', 'ok'],
    ]);
  });

  it('lists old-dialect keys; --fix rewrites them into upstream keys, keeping the old file as .bak', async () => {
    const port = await freePort();
    const old = {
      $schema: './config.schema.json',
      gateway: { mode: 'local', port, policy: { maxPayload: 2097152 } },
      agents: { defaults: { model: 'local/demo', maxConcurrent: 1 } },
      channels: { whatsapp: { enabled: false, name: 'Phone' } },
      cron: { enabled: false },
    };
    const s = await setup(old);
    const configPath = join(s.stateDir, 'openclaw.json');
    const before = await readFile(configPath, 'utf8');
    const warned = await s.doctor();
    expect(warned.check('config-dialect')).toMatchObject({
      status: 'warn',
      details: ['$schema → removed: upstream refuses a $schema key', 'gateway.policy → plugins.entries.clawgate.config.policy', 'channels.whatsapp.name → channels.whatsapp.accounts.default.name'],
    });
    expect(warned.check('config-unused')).toMatchObject({ status: 'ok', details: ['agents.defaults.maxConcurrent'] });

    const fixed = await s.doctor(true);
    expect(fixed.check('config-dialect')).toMatchObject({ status: 'fixed', details: expect.arrayContaining(['gateway.policy → plugins.entries.clawgate.config.policy']) });
    expect(await readFile(`${configPath}.bak`, 'utf8')).toBe(before);
    expect(JSON.parse(await readFile(configPath, 'utf8'))).toEqual({
      gateway: { mode: 'local', port },
      agents: { defaults: { model: { primary: 'local/demo' }, maxConcurrent: 1 } },
      channels: { whatsapp: { enabled: false, accounts: { default: { name: 'Phone' } } } },
      cron: { enabled: false },
      plugins: { entries: { clawgate: { config: { policy: { maxPayload: 2097152 } } } } },
    });
    expect((await s.doctor()).check('config-dialect').status).toBe('ok');
  });

  it('an invalid config is an error (exit 1) naming the key', async () => {
    const s = await setup('{ gateway: { bind: "moon" } }');
    const { code, check } = await s.doctor();
    expect(code).toBe(1);
    expect(check('config')).toMatchObject({ status: 'error', message: expect.stringContaining('gateway.bind: must be one of') });
  });

  it('loose permissions are warnings; --fix makes them 0700 / 0600', async () => {
    const s = await setup({ gateway: { mode: 'local', port: await freePort() } });
    const configPath = join(s.stateDir, 'openclaw.json');
    await chmod(s.stateDir, 0o755);
    await chmod(configPath, 0o644);
    const before = await s.doctor();
    expect(before.check('state-dir')).toMatchObject({ status: 'warn', message: expect.stringContaining('is 755; expected 700') });
    expect(before.check('config-permissions')).toMatchObject({ status: 'warn', message: expect.stringContaining('is 644; expected 600') });
    expect(before.code).toBe(0);
    const fixed = await s.doctor(true);
    expect(fixed.check('state-dir').status).toBe('fixed');
    expect(fixed.check('config-permissions').status).toBe('fixed');
    expect((await stat(s.stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(configPath)).mode & 0o777).toBe(0o600);
    expect((await s.doctor()).check('state-dir').status).toBe('ok');
  });

  it('something else on the gateway port is an error; a gateway there is fine', async () => {
    const sockets = new Set<Socket>();
    const blocker = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.end('HTTP/1.1 200 OK\r\n\r\nnot a gateway');
    });
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => blocker.close(resolve));
    });
    const busy = (blocker.address() as { port: number }).port;
    const s = await setup({ gateway: { mode: 'local', port: busy, auth: { token: TOKEN } } });
    const conflict = await s.doctor();
    expect(conflict.code).toBe(1);
    expect(conflict.check('port')).toMatchObject({ status: 'error', message: `port ${busy} (config) is taken by something that is not an OpenClaw gateway` });

    const port = await freePort();
    await writeFile(join(s.stateDir, 'openclaw.json'), JSON.stringify({ gateway: { mode: 'local', port, auth: { token: TOKEN } } }));
    const ctx = await loadDiagnosticContext({}, s.env);
    const runtime = new GatewayRuntime({ environment: ctx, overrides: {}, out: () => {}, plugins: [], logDir: join(s.home, 'logs') });
    await runtime.start();
    cleanups.push(() => runtime.stop());
    expect((await s.doctor()).check('port')).toMatchObject({ status: 'ok', message: `a gateway is listening on port ${port} (config)` });
  });

  it('service definition drift is reported and --fix rewrites it to what install writes now', async () => {
    const s = await setup({ gateway: { mode: 'local', port: await freePort() } });
    const ctx = await loadDiagnosticContext({}, s.env);
    await runServiceAction(ctx, 'install', { port: '18999', token: 'kept-token-123456' }, s.host);
    const unitPath = join(s.home, '.config', 'systemd', 'user', 'openclaw-gateway.service');
    const original = await readFile(unitPath, 'utf8');
    const drifted = original
      .replace('/usr/local/bin/node', '/old/node')
      .replace(/Environment=OPENCLAW_SERVICE_VERSION=.*\n/, '')
      .replace('[Install]', 'Environment=CLAWDBOT_STATE=1\n\n[Install]');
    await writeFile(unitPath, drifted);

    const before = await s.doctor();
    expect(before.check('service')).toMatchObject({ status: 'warn', hint: 'openclaw doctor --fix rewrites it' });
    expect(before.check('service').details).toEqual([
      expect.stringContaining('command is "/old/node'),
      'environment CLAWDBOT_STATE is set but no longer used',
      `environment OPENCLAW_SERVICE_VERSION is missing (expected ${ctx.version})`,
    ]);
    s.fake.calls.length = 0;
    const after = await s.doctor(true);
    expect(after.check('service').status).toBe('fixed');
    // Same as install wrote, including the token given at install time.
    expect(await readFile(unitPath, 'utf8')).toBe(original);
    expect(s.fake.calls).toContain('systemctl --user daemon-reload');
    expect((await s.doctor()).check('service').status).toBe('ok');
  });

  it('legacy clawdbot state and variables are warnings with a hint', async () => {
    const s = await setup({ gateway: { mode: 'local', port: await freePort() } }, { CLAWDBOT_GATEWAY_TOKEN: 'x' });
    await mkdir(join(s.home, '.clawdbot'));
    const { code, check } = await s.doctor();
    expect(code).toBe(0);
    expect(check('legacy')).toMatchObject({
      status: 'warn',
      details: [`${join(s.home, '.clawdbot')} (state of a pre-OpenClaw install)`, 'environment variable CLAWDBOT_GATEWAY_TOKEN (use the OPENCLAW_ name)'],
    });
  });
});

describe('openclaw doctor (CLI)', () => {
  it('honours --profile and prints JSON; exit 1 on an invalid config', async () => {
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined });
    const stateDir = join(t.home, '.openclaw-work');
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(join(stateDir, 'openclaw.json'), '{ gateway: { mode: "local", port: "nope" } }', { mode: 0o600 });
    const r = await runCli(['--profile', 'work', 'doctor', '--json'], t);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.checks[0]).toMatchObject({ id: 'config', status: 'error', message: expect.stringContaining(join(stateDir, 'openclaw.json')) });
  });
});
