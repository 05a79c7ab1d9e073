import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCliContext, type CliContext } from '../../../bin/cli-context.js';
import { runServiceAction, type ServiceAction, type ServiceCommandFlags } from '../../../bin/service/service-commands.js';
import type { ServiceHost } from '../../../bin/service/service-host.js';
import { FakeSupervisor } from './fake-supervisor.js';
import { isListening, killAll, makeEnv, runCli } from '../helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const COMMAND = ['/usr/local/bin/node', '/opt/openclaw/dist/bin/openclaw.js'];

async function setup(platform: string, profile?: string) {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-svc-'));
  dirs.push(home);
  const stateDir = join(home, profile ? `.openclaw-${profile}` : '.openclaw');
  const env: NodeJS.ProcessEnv = { HOME: home, PATH: '/usr/bin', OPENCLAW_STATE_DIR: stateDir };
  await mkdir(stateDir, { recursive: true });
  await writeFile(join(stateDir, 'openclaw.json'), JSON.stringify({ gateway: { mode: 'local' } }));
  const ctx: CliContext = await loadCliContext({ profile }, env);
  const fake = new FakeSupervisor();
  let output = '';
  const host: ServiceHost = { platform, home, runner: fake.runner, uid: 501, command: COMMAND, write: (text) => (output += text) };
  const run = async (action: ServiceAction, flags: ServiceCommandFlags = {}) => {
    output = '';
    const code = await runServiceAction(ctx, action, { json: true, ...flags }, host);
    return { code, result: JSON.parse(output) };
  };
  return { home, ctx, fake, host, run };
}

describe('gateway install|start|stop|restart|uninstall on Linux (systemd user unit)', () => {
  it('installs, is a no-op when installed, reinstalls with --force, and uninstalls', async () => {
    const { home, fake, run } = await setup('linux');
    const unitPath = join(home, '.config', 'systemd', 'user', 'openclaw-gateway.service');

    const installed = await run('install', { port: '18800' });
    expect(installed).toEqual({
      code: 0,
      result: {
        action: 'install',
        ok: true,
        result: 'installed',
        message: `Installed systemd openclaw-gateway.service (${unitPath}), port 18800`,
        service: { label: 'systemd', name: 'openclaw-gateway.service', path: unitPath, loaded: true, loadedText: 'enabled', notLoadedText: 'disabled' },
      },
    });
    const unit = await readFile(unitPath, 'utf8');
    expect(unit).toContain(`ExecStart=${COMMAND.join(' ')} gateway --port 18800`);
    expect(unit).toContain('Environment=OPENCLAW_SERVICE_MARKER=openclaw');
    expect((await stat(unitPath)).mode & 0o777).toBe(0o600);
    expect(fake.calls).toEqual([
      'systemctl --user show-environment',
      'systemctl --user is-enabled openclaw-gateway.service',
      'systemctl --user show-environment',
      'systemctl --user daemon-reload',
      'systemctl --user enable openclaw-gateway.service',
      'systemctl --user restart openclaw-gateway.service',
      'systemctl --user is-enabled openclaw-gateway.service',
    ]);

    fake.calls.length = 0;
    const again = await run('install', { port: '18801' });
    expect(again.result).toMatchObject({ ok: true, result: 'already-installed' });
    expect(await readFile(unitPath, 'utf8')).toBe(unit);
    expect(fake.calls.some((c) => c.includes('restart'))).toBe(false);

    const forced = await run('install', { port: '18801', force: true });
    expect(forced.result).toMatchObject({ ok: true, result: 'installed' });
    expect(await readFile(unitPath, 'utf8')).toContain('gateway --port 18801');

    expect((await run('stop')).result).toMatchObject({ ok: true, result: 'stopped' });
    expect(fake.active.has('openclaw-gateway.service')).toBe(false);
    expect((await run('start')).result).toMatchObject({ ok: true, result: 'started' });
    expect((await run('restart')).result).toMatchObject({ ok: true, result: 'restarted' });
    expect(fake.calls.at(-2)).toBe('systemctl --user restart openclaw-gateway.service');

    expect((await run('uninstall')).result).toMatchObject({ ok: true, result: 'uninstalled', service: { loaded: false } });
    await expect(stat(unitPath)).rejects.toThrow();
    expect((await run('start')).result).toMatchObject({ ok: true, result: 'not-loaded' });
    expect((await run('uninstall')).result).toMatchObject({ ok: true, result: 'not-loaded' });
  });

  it('profile-aware unit names', async () => {
    const { home, run } = await setup('linux', 'work');
    expect((await run('install')).result.service.name).toBe('openclaw-gateway-work.service');
    const unit = await readFile(join(home, '.config', 'systemd', 'user', 'openclaw-gateway-work.service'), 'utf8');
    expect(unit).toContain('Description=OpenClaw Gateway (profile: work, v');
    expect(unit).toContain('Environment=OPENCLAW_PROFILE=work');
  });

  it('--system writes a system unit and drives systemctl without --user', async () => {
    const { home, fake, host, ctx } = await setup('linux');
    const systemDir = join(home, 'etc-systemd');
    let output = '';
    const code = await runServiceAction(ctx, 'install', { json: true, system: true }, { ...host, systemUnitDir: systemDir, write: (t) => (output += t) });
    expect(code).toBe(0);
    expect(JSON.parse(output).result).toBe('installed');
    expect(await readFile(join(systemDir, 'openclaw-gateway.service'), 'utf8')).toContain('WantedBy=multi-user.target');
    expect(fake.calls).toContain('systemctl enable openclaw-gateway.service');
  });

  it('says clearly when systemd is not there, and writes nothing', async () => {
    const { home, fake, run } = await setup('linux');
    fake.available = false;
    const result = await run('install');
    expect(result.code).toBe(1);
    expect(result.result).toEqual({
      action: 'install',
      ok: false,
      error: expect.stringMatching(/^systemd user services are not available here \(systemctl --user show-environment: Failed to connect to bus: No medium found\)/),
    });
    await expect(stat(join(home, '.config', 'systemd', 'user', 'openclaw-gateway.service'))).rejects.toThrow();
    for (const action of ['start', 'stop', 'restart', 'uninstall'] as const) expect((await run(action)).code).toBe(1);
  });

  it('warns when the config would keep the service from starting', async () => {
    const { home, host, fake } = await setup('linux');
    const env = { HOME: home, PATH: '/usr/bin', OPENCLAW_STATE_DIR: join(home, 'empty'), OPENCLAW_GATEWAY_TOKEN: 'from-shell-123456' };
    const ctx = await loadCliContext({}, env);
    let output = '';
    await runServiceAction(ctx, 'install', { json: true }, { ...host, runner: fake.runner, write: (t) => (output += t) });
    expect(JSON.parse(output).warnings).toEqual([
      `gateway.mode is not "local" in ${ctx.configPath}; the service will refuse to start until it is`,
      'OPENCLAW_GATEWAY_TOKEN is set in this shell but is not given to the service; pass --token to include it',
    ]);
  });
});

describe('gateway install on macOS (LaunchAgent)', () => {
  it('writes the plist and bootstraps it in gui/<uid>; profile-aware label', async () => {
    const { home, ctx, fake, run } = await setup('darwin', 'dev');
    const plistPath = join(home, 'Library', 'LaunchAgents', 'ai.openclaw.dev.plist');
    const installed = await run('install', { port: '19001' });
    expect(installed.result).toMatchObject({ ok: true, result: 'installed', service: { label: 'LaunchAgent', name: 'ai.openclaw.dev', path: plistPath, loaded: true } });
    const plist = await readFile(plistPath, 'utf8');
    expect(plist).toContain(`<string>${join(ctx.stateDir, 'logs', 'gateway.log')}</string>`);
    expect(plist).toContain('<key>OPENCLAW_LAUNCHD_LABEL</key>\n      <string>ai.openclaw.dev</string>');
    expect(fake.calls.filter((c) => c.startsWith('launchctl') && !c.startsWith('launchctl print'))).toEqual([
      'launchctl bootout gui/501/ai.openclaw.dev',
      'launchctl enable gui/501/ai.openclaw.dev',
      `launchctl bootstrap gui/501 ${plistPath}`,
      'launchctl kickstart -k gui/501/ai.openclaw.dev',
    ]);
    expect((await run('install')).result.result).toBe('already-installed');
    expect((await run('uninstall')).result.result).toBe('uninstalled');
    await expect(stat(plistPath)).rejects.toThrow();
  });
});

describe('gateway install on Windows (scheduled task)', () => {
  it('writes $STATE/gateway.cmd and registers the task at logon', async () => {
    const { ctx, fake, host } = await setup('win32', 'work');
    let output = '';
    const winHost = { ...host, write: (t: string) => (output += t) };
    const env = { ...ctx.env, USERNAME: 'Ada', USERDOMAIN: 'PC' };
    const code = await runServiceAction({ ...ctx, env }, 'install', { json: true }, winHost);
    expect(code).toBe(0);
    const script = join(ctx.stateDir, 'gateway.cmd');
    expect(JSON.parse(output).service).toMatchObject({ label: 'Scheduled Task', name: 'OpenClaw Gateway (work)', path: script, loaded: true });
    const text = await readFile(script, 'utf8');
    expect(text.startsWith('@echo off\r\nrem OpenClaw Gateway (profile: work, v')).toBe(true);
    expect(text).toContain('set OPENCLAW_SERVICE_MARKER=openclaw\r\n');
    expect(fake.calls).toContain(`schtasks /Create /F /SC ONLOGON /RL LIMITED /TN OpenClaw Gateway (work) /TR ${script} /RU PC\\Ada /NP /IT`);
    expect(fake.calls).toContain('schtasks /Run /TN OpenClaw Gateway (work)');
  });
});

/** Real systemd: only where `systemctl --user` answers (not in containers without a user bus). */
const systemd = spawnSync('systemctl', ['--user', 'show-environment'], { encoding: 'utf8' });
const SYSTEMD_USER = systemd.status === 0;

describe('real systemd user unit', () => {
  afterEach(killAll);

  it.skipIf(!SYSTEMD_USER)(
    `installs, starts, reports status and uninstalls a user unit (skipped: systemctl --user is unavailable here: ${(systemd.stderr || systemd.error?.message || '').trim()})`,
    async () => {
      // systemd reads user units from the real home, so the unit goes there under a throwaway profile.
      const profile = `t${process.pid}`;
      const t = await makeEnv({ HOME: homedir() });
      await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local', auth: { token: 'systemd-test-token-1234' } } }));
      const port = 20000 + (process.pid % 20000);
      try {
        const install = await runCli(['--profile', profile, 'gateway', 'install', '--port', String(port), '--json'], t, 30_000);
        expect(JSON.parse(install.stdout)).toMatchObject({ ok: true, result: 'installed' });
        let listening = false;
        for (let i = 0; i < 50 && !listening; i++) {
          listening = await isListening(port);
          if (!listening) await new Promise((r) => setTimeout(r, 200));
        }
        expect(listening).toBe(true);
        const status = await runCli(['--profile', profile, 'gateway', 'status', '--json', '--token', 'systemd-test-token-1234'], t, 30_000);
        const report = JSON.parse(status.stdout);
        expect(report.service).toMatchObject({ loaded: true, runtime: { status: 'running' } });
        expect(report.rpc.ok).toBe(true);
      } finally {
        const uninstall = await runCli(['--profile', profile, 'gateway', 'uninstall', '--json'], t, 30_000);
        expect(JSON.parse(uninstall.stdout)).toMatchObject({ ok: true, result: 'uninstalled' });
      }
    },
    60_000,
  );
});
