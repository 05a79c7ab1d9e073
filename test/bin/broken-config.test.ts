import { mkdir, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CONFIG } from '../../bin/exit-codes.js';
import { TOKEN } from '../helpers/connect.js';
import { killAll, makeEnv, parseJson, runCli, startGateway, type RunningGateway, type TestEnv } from './helpers.js';

// One gateway for the whole file, in a state dir of its own with a valid setup; the commands under
// test run against it from a second state dir whose config is broken.
let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway(['--allow-unconfigured', '--port', '0'], await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN }));
});
afterAll(killAll);

async function brokenEnv(text: string, extra: Record<string, string | undefined> = {}): Promise<TestEnv> {
  const t = await makeEnv(extra);
  await writeFile(t.configPath, text);
  return t;
}

const BAD_PORT = '{ gateway: { mode: "local", port: "x" } }';

describe('client commands with a broken config file', () => {
  it('health and gateway call status connect with --url and --token, with one warning line naming the config', async () => {
    const t = await brokenEnv(BAD_PORT);
    const warning = `warning: ignoring invalid config ${t.configPath}: gateway.port: must be integer\n`;
    // One after the other: concurrent first connects of one device can fail in pairing.
    const health = await runCli(['health', '--url', gw.url, '--token', TOKEN], t);
    const call = await runCli(['gateway', 'call', 'status', '--url', gw.url, '--token', TOKEN], t);
    expect(health.code, health.output).toBe(0);
    expect(health.stdout).toContain(`Gateway OK at ${gw.url}`);
    expect(health.stderr).toBe(warning);
    expect(call.code, call.output).toBe(0);
    expect(parseJson(call.stdout).queuedSystemEvents).toEqual([]);
    expect(call.stderr).toBe(warning);
  });

  it('a JSON5 syntax error too, with the token from OPENCLAW_GATEWAY_TOKEN: status, gateway health, logs', async () => {
    const t = await brokenEnv('{ gateway: { mode: "local" ', { OPENCLAW_GATEWAY_TOKEN: TOKEN });
    const status = await runCli(['status', '--json', '--url', gw.url], t);
    const health = await runCli(['gateway', 'health', '--url', gw.url], t);
    const logs = await runCli(['logs', '--json', '--url', gw.url], t);
    for (const r of [status, health, logs]) {
      expect(r.code, r.output).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^warning: ignoring invalid config ${t.configPath}: syntax error at line 1, column \\d+: [^\\n]+\\n$`));
    }
    expect(parseJson(status.stdout).gateway).toMatchObject({ url: gw.url, urlSource: 'flag', reachable: true });
    expect(health.stdout).toContain(`Gateway OK at ${gw.url}`);
    expect(parseJson(logs.stdout.split('\n')[0]!).type).toBe('meta');
  });

  it('a config that cannot be read at all is named as unreadable', async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
    await mkdir(t.configPath);
    const r = await runCli(['gateway', 'call', 'health', '--url', gw.url], t);
    expect(r.code, r.output).toBe(0);
    expect(parseJson(r.stdout).ok).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`^warning: ignoring unreadable config ${t.configPath}: EISDIR[^\\n]*\\n$`));
  });

  it('without --url the config error stands (exit 78, EX_CONFIG), even when the loopback default would have reached the gateway', async () => {
    const t = await brokenEnv(BAD_PORT, { OPENCLAW_GATEWAY_TOKEN: TOKEN, OPENCLAW_GATEWAY_PORT: String(gw.port) });
    const error = `openclaw: invalid config ${t.configPath}: gateway.port: must be integer\n`;
    for (const args of [['health'], ['gateway', 'call', 'status']]) {
      const r = await runCli(args, t);
      expect(r.code, r.output).toBe(EXIT_CONFIG);
      expect(r.stderr).toBe(error);
      expect(r.stdout).toBe('');
    }
  });

  it('openclaw gateway still refuses to start, --url or not, with exit code 78 so a supervisor does not restart it', async () => {
    const t = await brokenEnv(BAD_PORT);
    const r = await runCli(['gateway', '--allow-unconfigured', '--port', '0', '--url', gw.url], t);
    expect(r.code, r.output).toBe(EXIT_CONFIG);
    expect(EXIT_CONFIG).toBe(78);
    expect(r.stderr).toBe(`openclaw: invalid config ${t.configPath}: gateway.port: must be integer\n`);
    expect(r.stdout).not.toMatch(/listening on/);
  });
});
