import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, isListening, killAll, LISTENING, makeEnv, runCli, secretExposure, spawnCli, startGateway } from './helpers.js';

afterEach(killAll);

const TOKEN_LINE = /Generated a gateway token and saved it to (.+) \(gateway\.auth\.token\):\n {2}([0-9a-f]+)\n/;

async function readConfig(path: string): Promise<any> {
  return JSON.parse(await readFile(path, 'utf8'));
}

describe('openclaw gateway: configuration gate and token', () => {
  it('refuses to start without a config, naming gateway.mode and --allow-unconfigured', async () => {
    const t = await makeEnv();
    const r = await runCli(['gateway', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toContain('gateway.mode');
    expect(r.stderr).toContain('--allow-unconfigured');
    expect(r.stdout).not.toMatch(/listening on/);
    // Refusing must not have written a config (or a token) either.
    expect(existsSync(t.configPath)).toBe(false);
  });

  it('refuses with gateway.mode "remote" in the config', async () => {
    const t = await makeEnv();
    await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'remote' } }));
    const r = await runCli(['gateway', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toContain('gateway.mode is "remote"');
    expect(r.stderr).toContain('--allow-unconfigured');
  });

  it('--allow-unconfigured generates a token once, saves it 0600, and reuses it on the next start', async () => {
    const t = await makeEnv();
    const first = await startGateway(['--allow-unconfigured', '--port', '0'], t);
    const match = await first.proc.waitFor(TOKEN_LINE);
    expect(match[1]).toBe(t.configPath);
    const token = match[2]!;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    // Shown once in the notice, never in a log line.
    await first.proc.waitFor(/Dashboard: /);
    const firstSeen = secretExposure(first.proc.output, token);
    expect(firstSeen.notice).toEqual([`  ${token}`]);
    expect(firstSeen.dashboard).toEqual([`Dashboard: http://127.0.0.1:${first.port}/#token=${token}`]);
    expect(firstSeen.logLines).toEqual([]);
    expect(firstSeen.other).toEqual([]);

    const config = await readConfig(t.configPath);
    expect(config.gateway.auth.token).toBe(token);
    expect((await stat(t.configPath)).mode & 0o777).toBe(0o600);

    first.proc.kill('SIGTERM');
    expect((await first.proc.wait()).code, first.proc.output).toBe(0);

    const second = await startGateway(['--allow-unconfigured', '--port', '0'], t);
    // The dashboard link comes after the token notice, if there is one.
    await second.proc.waitFor(/Dashboard: /);
    expect(second.proc.output).not.toContain('Generated a gateway token');
    expect((await readConfig(t.configPath)).gateway.auth.token).toBe(token);
    second.proc.kill('SIGTERM');
    expect((await second.proc.wait()).code, second.proc.output).toBe(0);
    // The saved token is printed nowhere on a later start, from start-up to shutdown, stdout or stderr.
    expect(second.proc.output).toContain(`Dashboard: http://127.0.0.1:${second.port}/\n`);
    expect(second.proc.output).not.toContain(token);
  });

  it('starts without the flag when gateway.mode is "local", keeping the rest of the (JSON5) file', async () => {
    const t = await makeEnv();
    await writeFile(t.configPath, '// my gateway\n{ gateway: { mode: "local", }, }\n');
    const gw = await startGateway(['--port', '0'], t);
    const match = await gw.proc.waitFor(TOKEN_LINE);
    const config = await readConfig(t.configPath);
    expect(config).toEqual({ gateway: { mode: 'local', auth: { token: match[2] } } });
  });

  it('does not generate a token when OPENCLAW_GATEWAY_TOKEN is set', async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: 'env-token-abcdef' });
    const gw = await startGateway(['--allow-unconfigured', '--port', '0'], t);
    await new Promise((r) => setTimeout(r, 300));
    expect(gw.proc.output).not.toContain('Generated a gateway token');
    expect(existsSync(t.configPath)).toBe(false);
  });
});

describe('openclaw gateway: invalid config keeps the gateway down', () => {
  it('names every bad key of a JSON5 file with comments', async () => {
    const t = await makeEnv();
    await writeFile(t.configPath, '{\n  // the port is wrong, and bogus is unknown\n  gateway: { port: "x", bogus: 1 },\n}\n');
    const r = await runCli(['gateway', '--allow-unconfigured', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toContain('gateway.port');
    expect(r.stderr).toContain('gateway.bogus');
    expect(r.stderr).toContain(t.configPath);
    expect(r.stdout).not.toMatch(/listening on/);
  });

  it('names the line and column of a JSON5 syntax error', async () => {
    const t = await makeEnv();
    await writeFile(t.configPath, '{\n  gateway: {\n    mode: "local"\n    port: 1234,\n  },\n}\n');
    const r = await runCli(['gateway', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/syntax error at line 4, column 5/);
  });

  it('an invalid OPENCLAW_GATEWAY_PORT is named', async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_PORT: 'abc' });
    const r = await runCli(['gateway', '--allow-unconfigured'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toContain('OPENCLAW_GATEWAY_PORT');
  });
});

describe('openclaw gateway: port precedence', () => {
  it('uses OPENCLAW_GATEWAY_PORT when there is no --port', async () => {
    const port = await findFreePort();
    const t = await makeEnv({ OPENCLAW_GATEWAY_PORT: String(port) });
    await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local', port: 1 } }));
    const gw = await startGateway([], t);
    expect(gw.port).toBe(port);
    expect(await isListening(port)).toBe(true);
  });

  it('--port wins over OPENCLAW_GATEWAY_PORT', async () => {
    const envPort = await findFreePort();
    const flagPort = await findFreePort();
    const t = await makeEnv({ OPENCLAW_GATEWAY_PORT: String(envPort) });
    const gw = await startGateway(['--allow-unconfigured', '--port', String(flagPort)], t);
    expect(gw.port).toBe(flagPort);
    expect(await isListening(envPort)).toBe(false);
  });

  it('gateway.port from the config is used when neither flag nor env is set', async () => {
    const port = await findFreePort();
    const t = await makeEnv();
    await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local', port } }));
    const gw = await startGateway([], t);
    expect(gw.port).toBe(port);
  });
});

describe('openclaw gateway: bind and auth flags', () => {
  it('--bind lan --auth password without a password refuses to start', async () => {
    const t = await makeEnv();
    const r = await runCli(['gateway', '--allow-unconfigured', '--bind', 'lan', '--auth', 'password', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/refusing to bind the gateway to lan without a password/);
    expect(r.stderr).toContain('gateway.auth.password');
    expect(r.stdout).not.toMatch(/listening on/);
    // A refused start leaves no config (and no unseen token) behind.
    expect(existsSync(t.configPath)).toBe(false);
  });

  it('--auth password without a password refuses to start on loopback too (it would refuse every client)', async () => {
    const t = await makeEnv();
    const r = await runCli(['gateway', '--allow-unconfigured', '--auth', 'password', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/auth mode is "password" but no password is set/);
    expect(r.stdout).not.toMatch(/listening on|Generated a gateway token/);
    expect(existsSync(t.configPath)).toBe(false);
  });

  it('--auth password --password works end to end, and no token is generated', async () => {
    const t = await makeEnv();
    const gw = await startGateway(['--allow-unconfigured', '--auth', 'password', '--password', 'pw-0123456789', '--port', '0'], t);
    const ok = await runCli(['health', '--json', '--url', gw.url, '--password', 'pw-0123456789'], t);
    expect(ok.stderr).toBe('');
    expect(ok.code, ok.output).toBe(0);
    const bad = await runCli(['health', '--url', gw.url, '--password', 'nope-nope'], t);
    expect(bad.code, bad.output).toBe(1);
    expect(bad.stderr).toMatch(/unauthorized: gateway password mismatch/);
    expect(gw.proc.output).not.toContain('Generated a gateway token');
    expect(existsSync(t.configPath)).toBe(false);
  });

  it('an invalid --port is refused before any token is written', async () => {
    const t = await makeEnv();
    const r = await runCli(['gateway', '--allow-unconfigured', '--port', 'abc'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toContain('--port');
    expect(existsSync(t.configPath)).toBe(false);
  });

  it('--auth bogus is refused', async () => {
    const t = await makeEnv();
    const r = await runCli(['gateway', '--allow-unconfigured', '--auth', 'bogus', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/--auth must be token or password, got bogus/);
  });

  it('--bind bogus is refused', async () => {
    const t = await makeEnv();
    const r = await runCli(['gateway', '--allow-unconfigured', '--bind', 'bogus', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/--bind must be one of loopback, lan/);
  });
});

describe('profiles', () => {
  it('without a profile, config and token land in ~/.openclaw (OPENCLAW_STATE_DIR unset)', async () => {
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined });
    const gw = await startGateway(['--allow-unconfigured', '--port', '0'], t);
    const expected = join(t.home, '.openclaw', 'openclaw.json');
    expect((await gw.proc.waitFor(TOKEN_LINE))[1]).toBe(expected);
    expect(gw.proc.stdout).toContain('profile default');
  });

  it('--dev gateway --allow-unconfigured writes ~/.openclaw-dev/openclaw.json', async () => {
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined });
    const proc = spawnCli(['--dev', 'gateway', '--allow-unconfigured', '--port', '0'], t);
    await proc.waitFor(LISTENING);
    const expected = join(t.home, '.openclaw-dev', 'openclaw.json');
    const match = await proc.waitFor(TOKEN_LINE);
    expect(match[1]).toBe(expected);
    expect(proc.stdout).toContain('profile dev');
    expect((await readConfig(expected)).gateway.auth.token).toBe(match[2]);
    expect((await stat(expected)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(t.home, '.openclaw', 'openclaw.json'))).toBe(false);
  });

  it('--profile work writes ~/.openclaw-work/openclaw.json', async () => {
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined });
    const proc = spawnCli(['--profile', 'work', 'gateway', '--allow-unconfigured', '--port', '0'], t);
    await proc.waitFor(LISTENING);
    const expected = join(t.home, '.openclaw-work', 'openclaw.json');
    const match = await proc.waitFor(TOKEN_LINE);
    expect(match[1]).toBe(expected);
    expect(proc.stdout).toContain('profile work');
    expect((await readConfig(expected)).gateway.auth.token).toBe(match[2]);
  });

  it('--dev helpers target ws://127.0.0.1:19001 by default (resolved, never bound here)', async (ctx) => {
    if (await isListening(19001)) ctx.skip(); // something real is on 19001; the message would differ
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined });
    const r = await runCli(['--dev', 'gateway', 'call', 'health', '--timeout', '2000'], t);
    expect(r.code, r.output).toBe(1);
    expect(r.stderr).toContain('ws://127.0.0.1:19001');
    expect(r.stderr).toContain('ECONNREFUSED');
    // The helper used (and created) the dev state dir, never the default one.
    expect(existsSync(join(t.home, '.openclaw-dev', 'identity'))).toBe(true);
    expect(existsSync(join(t.home, '.openclaw'))).toBe(false);
  });

  it('--dev gateway and --dev helpers find each other (port from OPENCLAW_GATEWAY_PORT, token from the dev config)', async () => {
    const port = await findFreePort();
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined, OPENCLAW_GATEWAY_PORT: String(port) });
    const proc = spawnCli(['--dev', 'gateway', '--allow-unconfigured'], t);
    expect(Number((await proc.waitFor(LISTENING))[1])).toBe(port);
    const r = await runCli(['--dev', 'gateway', 'call', 'health'], t);
    expect(r.stderr).toBe('');
    expect(r.code, r.output).toBe(0);
    expect(JSON.parse(r.stdout).ok).toBe(true);
    // Without --dev the CLI reads ~/.openclaw, which has no token: the gateway refuses it.
    const plain = await runCli(['gateway', 'call', 'health'], t);
    expect(plain.code, plain.output).toBe(1);
    expect(plain.stderr).toContain('unauthorized');
  });

  it('--dev with --profile is an error', async () => {
    const t = await makeEnv();
    const r = await runCli(['--dev', '--profile', 'x', 'gateway', '--allow-unconfigured', '--port', '0'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/cannot combine --dev with --profile/);
    expect(r.stdout).not.toMatch(/listening on/);
  });

  it('an invalid --profile name is an error', async () => {
    const t = await makeEnv();
    const r = await runCli(['--profile', '../etc', 'status'], t);
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/invalid profile name/);
  });
});
