import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCliContext } from '../../bin/cli-context.js';
import { GatewayRuntime, RESTART_EXPECTED_MS, type GatewayRuntimeEvents, type RuntimeOverrides } from '../../runtime/gateway-runtime.js';
import type { ChannelReload, RuntimePlugin } from '../../runtime/runtime-plugin.js';
import { GatewayClient } from '../../lib/client/index.js';
import { TOKEN } from '../helpers/connect.js';
import { connectPeer, findFreePort } from '../bin/helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  runtime: GatewayRuntime;
  configPath: string;
  logFile: string;
  out: string[];
  write(config: Record<string, unknown>): Promise<void>;
  next<K extends keyof GatewayRuntimeEvents>(event: K, timeoutMs?: number): Promise<GatewayRuntimeEvents[K]>;
  client(): Promise<{ client: GatewayClient; closes: number[]; hellos: number }>;
}

const base = (extra: Record<string, any> = {}) => ({
  ...extra,
  gateway: { mode: 'local', auth: { token: TOKEN }, reload: { debounceMs: 30 }, ...extra.gateway },
});

async function start(config: Record<string, unknown>, options: { flags?: RuntimeOverrides; plugins?: RuntimePlugin[] } = {}): Promise<Harness> {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-runtime-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const configPath = join(home, 'openclaw.json');
  const logFile = join(home, 'gateway.log');
  const withLog = (c: Record<string, any>) => ({ ...c, logging: { file: logFile, ...c.logging } });
  await writeFile(configPath, JSON.stringify(withLog(config)), { mode: 0o600 });
  const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath });
  const out: string[] = [];
  const runtime = new GatewayRuntime({
    environment: ctx,
    overrides: options.flags ?? { port: '0' },
    out: (line) => out.push(line),
    plugins: options.plugins ?? [],
    logDir: join(home, 'logs'),
  });
  await runtime.start();
  cleanups.push(() => runtime.stop());
  const next = <K extends keyof GatewayRuntimeEvents>(event: K, timeoutMs = 8000) =>
    new Promise<GatewayRuntimeEvents[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${event} event within ${timeoutMs} ms; output:\n${out.join('\n')}`));
      }, timeoutMs);
      const off = runtime.on(event, (payload) => {
        clearTimeout(timer);
        off();
        resolve(payload);
      });
    });
  const client = async () => {
    const client = new GatewayClient({
      url: `ws://127.0.0.1:${runtime.port}`,
      token: TOKEN,
      client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    cleanups.push(() => client.close());
    const state = { client, closes: [] as number[], hellos: 0 };
    client.on('close', ({ code }) => state.closes.push(code));
    client.on('hello', () => state.hellos++);
    await client.connect();
    return state;
  };
  return { runtime, configPath, logFile, out, write: (c) => writeFile(configPath, JSON.stringify(withLog(c))), next, client };
}

function once<T>(subscribe: (fn: (value: T) => void) => () => void, timeoutMs = 8000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    const off = subscribe((value) => {
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}

describe('hot reload', () => {
  it('applies a safe change live: the file logger is re-levelled and no connection drops', async () => {
    const h = await start(base());
    const { client, closes } = await h.client();
    const gateway = h.runtime.gateway;
    await client.call('health');
    expect(await readFile(h.logFile, 'utf8')).not.toContain('"logLevelName":"DEBUG"');

    const reload = h.next('reload');
    await h.write(base({ logging: { level: 'debug' }, agents: { defaults: { model: 'openai/gpt-x' } } }));
    const event = await reload;
    expect(event.applied).toBe('hot');
    expect(event.mode).toBe('hybrid');
    expect(event.plan.changedPaths.sort()).toEqual(['agents.defaults.model', 'logging.level']);
    expect(event.plan.restartGateway).toBe(false);

    await client.call('status');
    const log = await readFile(h.logFile, 'utf8');
    expect(log).toContain('"logLevelName":"DEBUG"');
    expect(log).toContain('takes effect on the next agent run: agents.defaults.model');
    expect(closes).toEqual([]);
    expect(h.runtime.gateway).toBe(gateway);
    expect(h.runtime.config.logging?.level).toBe('debug');
  });

  it('hands channels.<id> changes to that channel\'s reload hook, without a restart', async () => {
    const calls: ChannelReload[] = [];
    let setups = 0;
    const plugin: RuntimePlugin = {
      name: 'fake-channel',
      setup({ reload }) {
        setups++;
        reload.onChannelChange('telegram', (change) => {
          calls.push(change);
        });
      },
    };
    const h = await start(base(), { plugins: [plugin] });
    const { closes } = await h.client();
    const reload = h.next('reload');
    await h.write(base({ channels: { telegram: { enabled: true }, whatsapp: { enabled: false } } }));
    expect((await reload).applied).toBe('hot');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.channelId).toBe('telegram');
    expect(calls[0]!.changedPaths).toEqual(['channels.telegram.enabled']);
    expect(calls[0]!.config.channels?.telegram?.enabled).toBe(true);
    // WhatsApp has no hook here: noted, not an error.
    expect(h.out.join('\n')).toContain('no "whatsapp" channel runs here');
    expect(setups).toBe(1);
    expect(closes).toEqual([]);
  });

  it('survives an editor that replaces the file by rename', async () => {
    const h = await start(base());
    const reload = h.next('reload');
    const tmp = `${h.configPath}.swp`;
    await writeFile(tmp, JSON.stringify(base({ logging: { file: h.logFile, level: 'warn' } })));
    await rename(tmp, h.configPath);
    expect((await reload).plan.changedPaths).toEqual(['logging.level']);
    const again = h.next('reload');
    await writeFile(tmp, JSON.stringify(base({ logging: { file: h.logFile, level: 'error' } })));
    await rename(tmp, h.configPath);
    expect((await again).plan.changedPaths).toEqual(['logging.level']);
  });
});

describe('invalid edits', () => {
  it('are rejected and the old config keeps serving; a later good edit applies', async () => {
    const h = await start(base());
    const { client, closes } = await h.client();
    const gateway = h.runtime.gateway;

    const rejected = h.next('reload-rejected');
    await writeFile(h.configPath, '{ gateway: { port: "not a port" }, nonsense: true }');
    expect((await rejected).error.message).toMatch(/gateway\.port: must be integer/);
    const syntax = h.next('reload-rejected');
    await writeFile(h.configPath, '{ "gateway": ');
    expect((await syntax).error.message).toMatch(/syntax error/);

    expect((await client.call('health')).ok).toBe(true);
    expect(closes).toEqual([]);
    expect(h.runtime.gateway).toBe(gateway);
    expect(h.out.join('\n')).toContain('config change rejected, still running the previous config');

    const reload = h.next('reload');
    await h.write(base({ logging: { level: 'debug' } }));
    expect((await reload).applied).toBe('hot');
  });

  it('a valid file that cannot start (gateway.mode removed) is refused before anything closes', async () => {
    const h = await start(base());
    const { client, closes } = await h.client();
    const failed = h.next('restart-failed');
    await h.write({ gateway: { auth: { token: TOKEN }, reload: { debounceMs: 30 } } });
    expect((await failed).error.message).toMatch(/refusing to start: gateway.mode is null/);
    expect((await client.call('health')).ok).toBe(true);
    expect(closes).toEqual([]);
  });
});

describe('in-process restart', () => {
  it('a critical change sends shutdown with restartExpectedMs, closes 1012, re-binds the same port; typed clients come back', async () => {
    let setups = 0;
    let stops = 0;
    const plugin: RuntimePlugin = { name: 'counter', setup: () => void setups++, stop: () => void stops++ };
    const h = await start(base(), { plugins: [plugin] });
    const port = h.runtime.port;
    const first = h.runtime.gateway;
    const peer = await connectPeer(`ws://127.0.0.1:${port}`, TOKEN);
    const { client, closes } = await h.client();
    const back = once<unknown>((fn) => client.on('hello', fn));

    const restarted = h.next('restarted');
    await h.write(base({ gateway: { policy: { tickIntervalMs: 45_000 } } }));
    const shutdown = await peer.next((f) => f.type === 'event' && f.event === 'shutdown');
    expect(shutdown.payload).toEqual({ reason: 'gateway restarting', restartExpectedMs: RESTART_EXPECTED_MS });
    expect(await peer.closed).toEqual({ code: 1012, reason: 'service restart' });
    expect(await restarted).toEqual({ reason: 'config change: gateway.policy.tickIntervalMs', port });

    await back;
    expect(closes).toContain(1012);
    const hello = client.hello!;
    expect(hello.policy.tickIntervalMs).toBe(45_000);
    expect((await client.call('health')).ok).toBe(true);
    expect(h.runtime.port).toBe(port);
    expect(h.runtime.gateway).not.toBe(first);
    expect([setups, stops]).toEqual([2, 1]);
  });

  it('a restart whose port is taken rolls back to the previous config and port', async () => {
    const firstPort = await findFreePort();
    const h = await start(base({ gateway: { port: firstPort } }), { flags: {} });
    expect(h.runtime.port).toBe(firstPort);
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const busy = (blocker.address() as { port: number }).port;
    const { client } = await h.client();
    const back = once<unknown>((fn) => client.on('hello', fn));

    const failed = h.next('restart-failed');
    await h.write(base({ gateway: { port: busy } }));
    expect((await failed).error.message).toContain(`already listening on ws://127.0.0.1:${busy}`);
    await back;
    expect(h.runtime.port).toBe(firstPort);
    expect((await client.call('health')).ok).toBe(true);
    expect(h.out.join('\n')).toContain('going back to the previous config');
  });

  it('SIGUSR1 is ignored unless commands.restart is set', async () => {
    const h = await start(base());
    const gateway = h.runtime.gateway;
    expect(await h.runtime.handleRestartSignal('SIGUSR1')).toBe(false);
    expect(h.out.join('\n')).toContain('SIGUSR1 ignored: in-process restart is not enabled (set commands.restart to true)');
    expect(h.runtime.gateway).toBe(gateway);

    const reload = h.next('reload');
    await h.write(base({ commands: { restart: true } }));
    expect((await reload).applied).toBe('hot');
    expect(await h.runtime.handleRestartSignal('SIGUSR1')).toBe(true);
    expect(h.runtime.gateway).not.toBe(gateway);
  });

  it('config.apply restarts after its delay; the restart note becomes a system event', async () => {
    const h = await start(base());
    const { client } = await h.client();
    const snapshot = await client.call('config.get', {});
    const raw = JSON.stringify(base({ logging: { file: h.logFile, level: 'debug' } }));
    const restarted = h.next('restarted');
    const back = once<unknown>((fn) => client.on('hello', fn));
    const result = await client.call('config.apply', { raw, baseHash: snapshot.hash, restartDelayMs: 100, note: 'more logs' });
    expect(result.restart).toMatchObject({ ok: true, delayMs: 100 });
    expect((await restarted).reason).toBe('config.apply: more logs');
    await back;
    const status = await client.call('status', {});
    expect(status.queuedSystemEvents).toContain('Gateway restarted (config.apply): more logs');
    expect(h.runtime.config.logging?.level).toBe('debug');
  });
});

describe('reload modes', () => {
  it('off: changes are noted and not applied', async () => {
    const h = await start(base({ gateway: { reload: { mode: 'off', debounceMs: 30 } } }));
    const gateway = h.runtime.gateway;
    const reload = h.next('reload');
    await h.write(base({ gateway: { reload: { mode: 'off', debounceMs: 30 }, port: 12345 } }));
    expect((await reload).applied).toBe('none');
    expect(h.runtime.gateway).toBe(gateway);
    expect(h.runtime.config.gateway?.port).toBeUndefined();
  });

  it('hot: a critical change waits for the next restart, safe parts still apply', async () => {
    const h = await start(base({ gateway: { reload: { mode: 'hot', debounceMs: 30 } } }));
    const gateway = h.runtime.gateway;
    const reload = h.next('reload');
    await h.write(base({ gateway: { reload: { mode: 'hot', debounceMs: 30 }, policy: { tickIntervalMs: 40_000 } }, logging: { level: 'debug' } }));
    const event = await reload;
    expect(event.applied).toBe('hot');
    expect(event.plan.restartReasons).toEqual(['gateway.policy.tickIntervalMs']);
    expect(h.runtime.gateway).toBe(gateway);
    expect(h.out.join('\n')).toContain('gateway.reload.mode is "hot", so it waits for the next restart');
  });

  it('restart: even a safe change restarts', async () => {
    const h = await start(base({ gateway: { reload: { mode: 'restart', debounceMs: 30 } } }));
    const gateway = h.runtime.gateway;
    const reload = h.next('reload');
    await h.write(base({ gateway: { reload: { mode: 'restart', debounceMs: 30 } }, logging: { level: 'debug' } }));
    expect((await reload).applied).toBe('restart');
    expect(h.runtime.gateway).not.toBe(gateway);
  });
});

describe('background failures reach the host as error events', () => {
  it('an unexpected error in a method handler (the kernel error event), with the source named', async () => {
    const plugin: RuntimePlugin = {
      name: 'buggy',
      gatewayPlugins: () => [
        {
          name: 'buggy',
          setup(host) {
            host.registerCustomMethod('test.bug', { params: { type: 'object' }, scope: 'read' }, () => {
              throw new Error('handler bug');
            });
          },
        },
      ],
    };
    const h = await start(base(), { plugins: [plugin] });
    const error = h.next('error');
    const { client } = await h.client();
    await expect(client.call('test.bug', {})).rejects.toThrow(/internal error/);
    const event = await error;
    expect(event.source).toBe('gateway');
    expect(event.error.message).toBe('handler bug');
  });

  it("a channel's reload hook and a plugin's stop that throw are logged and told, and the runtime goes on", async () => {
    const plugin: RuntimePlugin = {
      name: 'flaky',
      setup({ reload }) {
        reload.onChannelChange('telegram', () => {
          throw new Error('hook broke');
        });
      },
      stop() {
        throw new Error('stop broke');
      },
    };
    const h = await start(base(), { plugins: [plugin] });
    const errors: GatewayRuntimeEvents['error'][] = [];
    h.runtime.on('error', (e) => errors.push(e));
    const reload = h.next('reload');
    await h.write(base({ channels: { telegram: { enabled: true } } }));
    expect((await reload).applied).toBe('hot');
    await h.runtime.stop();
    expect(errors.map((e) => `${e.source}: ${e.error.message}`)).toEqual(['reloading channel telegram: hook broke', 'stopping flaky: stop broke']);
    const log = await readFile(h.logFile, 'utf8');
    expect(log).toContain('reloading channel telegram failed: hook broke');
    expect(log).toContain('stopping flaky failed: stop broke');
  });
});

describe('file log size cap', () => {
  it('logging.maxFileBytes rotates the file log, and a hot reload changes the cap', async () => {
    const h = await start(base({ logging: { maxFileBytes: 600 } }));
    for (let i = 0; i < 10; i++) h.runtime.logger.log('info', 'test', `line ${i}`);
    const rotated = join(h.logFile, '..', 'gateway.1.log');
    expect((await stat(h.logFile)).size).toBeLessThanOrEqual(600);
    expect((await stat(rotated)).size).toBeLessThanOrEqual(600);

    const reload = h.next('reload');
    await h.write(base({ logging: { maxFileBytes: 1_000_000 } }));
    expect((await reload).plan.changedPaths).toEqual(['logging.maxFileBytes']);
    for (let i = 0; i < 10; i++) h.runtime.logger.log('info', 'test', `more ${i}`);
    expect((await stat(h.logFile)).size).toBeGreaterThan(600);
  });
});
