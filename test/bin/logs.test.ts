import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPeer, killAll, makeEnv, runCli, spawnCli, startGateway, type TestEnv } from './helpers.js';

afterEach(killAll);

const TOKEN = 'logs-test-token-0123456789';

async function gatewayWithFileLog(t: TestEnv, extra: Record<string, unknown> = {}) {
  const logFile = join(t.stateDir, 'gateway.log');
  const config = (logging: Record<string, unknown> = {}) =>
    JSON.stringify({ gateway: { mode: 'local', auth: { token: TOKEN }, reload: { debounceMs: 50 } }, logging: { file: logFile, ...logging }, ...extra });
  await writeFile(t.configPath, config(), { mode: 0o600 });
  const gw = await startGateway(['--port', '0'], t);
  return { ...gw, logFile, rewrite: (logging: Record<string, unknown>) => writeFile(t.configPath, config(logging)) };
}

describe('openclaw logs', () => {
  it('prints the tail of the file log, formatted, and exits', async () => {
    const t = await makeEnv();
    const gw = await gatewayWithFileLog(t);
    const r = await runCli(['logs', '--url', gw.url, '--token', TOKEN, '--limit', '5'], t);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO +\[gateway\] listening on ws:\/\/127\.0\.0\.1:\d+/m);
    expect(r.stdout).not.toContain(TOKEN);
  });

  it('--follow --json shows new lines from the running gateway, across an in-process restart', async () => {
    const t = await makeEnv();
    const gw = await gatewayWithFileLog(t);
    const logs = spawnCli(['logs', '--follow', '--json', '--interval', '100', '--url', gw.url, '--token', TOKEN], t);
    await logs.waitFor(/"type":"meta"/);
    const first = JSON.parse(logs.stdout.split('\n')[0]!);
    expect(first).toEqual({ type: 'meta', file: gw.logFile, cursor: expect.any(Number), size: first.cursor });

    // A hot change logs a line; the follower must print it as a `log` object.
    await gw.rewrite({ level: 'debug' });
    await logs.waitFor(/config hot reload applied \(logging\.level\)/);
    const line = logs.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((o) => o.type === 'log' && o.message.includes('config hot reload applied'));
    expect(line).toEqual({
      type: 'log',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: 'info',
      subsystem: 'gateway/reload',
      module: null,
      message: 'config hot reload applied (logging.level)',
      raw: expect.stringContaining('"logLevelName":"INFO"'),
    });

    // A critical change restarts the gateway in-process: the follower reconnects and keeps going.
    const peer = await connectPeer(gw.url, TOKEN);
    await writeFile(
      t.configPath,
      JSON.stringify({ gateway: { mode: 'local', auth: { token: TOKEN }, reload: { debounceMs: 50 }, policy: { tickIntervalMs: 40000 } }, logging: { file: gw.logFile, level: 'debug' } }),
    );
    expect((await peer.closed).code).toBe(1012);
    await logs.waitFor(/restarting in-process[\s\S]*"message":"listening on ws:\/\/127\.0\.0\.1:\d+/);
    expect(logs.running).toBe(true);
    logs.kill('SIGINT');
    expect((await logs.wait()).code).toBe(0);
    for (const l of logs.stdout.split('\n').filter(Boolean)) expect(['meta', 'log', 'raw', 'notice', 'error']).toContain(JSON.parse(l).type);
  });

  it('fails clearly when no gateway runs', async () => {
    const t = await makeEnv();
    const r = await runCli(['logs', '--url', 'ws://127.0.0.1:9', '--token', TOKEN], t);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('gateway at ws://127.0.0.1:9');
  });
});

describe('spawned gateway: reload and SIGUSR1', () => {
  it('an invalid edit is logged and the gateway keeps serving; SIGUSR1 without commands.restart is ignored', async () => {
    const t = await makeEnv();
    const gw = await gatewayWithFileLog(t);
    const peer = await connectPeer(gw.url, TOKEN);
    await writeFile(t.configPath, '{ gateway: { mode: "local", port: "nope" } }');
    await gw.proc.waitFor(/config change rejected, still running the previous config: .*gateway\.port: must be integer/);
    gw.proc.kill('SIGUSR1');
    await gw.proc.waitFor(/SIGUSR1 ignored: in-process restart is not enabled/);
    peer.ws.send(JSON.stringify({ type: 'req', id: 'h', method: 'health', params: {} }));
    expect((await peer.next((f) => f.type === 'res' && f.id === 'h')).ok).toBe(true);
    expect(gw.proc.running).toBe(true);
  });

  it('SIGUSR1 with commands.restart restarts in-process: shutdown, 1012, same port', async () => {
    const t = await makeEnv();
    const gw = await gatewayWithFileLog(t, { commands: { restart: true } });
    const peer = await connectPeer(gw.url, TOKEN);
    gw.proc.kill('SIGUSR1');
    const shutdown = await peer.next((f) => f.type === 'event' && f.event === 'shutdown');
    expect(shutdown.payload).toEqual({ reason: 'gateway restarting', restartExpectedMs: expect.any(Number) });
    expect((await peer.closed).code).toBe(1012);
    await gw.proc.waitFor(new RegExp(`restarting in-process \\(SIGUSR1\\)[\\s\\S]*listening on ws://127\\.0\\.0\\.1:${gw.port}`));
    const again = await connectPeer(gw.url, TOKEN);
    again.ws.close();
    expect(gw.proc.running).toBe(true);
  });
});
