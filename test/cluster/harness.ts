import { writeFile } from 'node:fs/promises';
import { GatewayClient } from '../../lib/client/index.js';
import { findFreePort, makeEnv, spawnCli, type CliProcess, type TestEnv } from '../bin/helpers.js';
import { TOKEN } from '../helpers/connect.js';

/**
 * N real gateway processes (`bin/openclaw.ts gateway` through tsx), each with its own HOME and
 * state dir as on separate hosts, sharing a cluster config: PostgreSQL and/or NATS, and a Telegram
 * account against a Bot API stand-in. Each keeps its port across restarts, so clients and tests
 * can dial it again. `close()` kills whatever still runs and removes the temp dirs.
 */

export interface ClusterHarnessOptions {
  /** `cluster.postgres.url` for every instance (see `postgresUrlFor` to route one through a proxy). */
  postgresUrl?: string;
  /** Per instance: a different URL for the same database (a TCP proxy in front of it). */
  postgresUrlFor?: (index: number) => string | undefined;
  /** Tables' schema; one per test keeps tests on one server apart (default `clawgate`). */
  schema?: string;
  natsUrl?: string;
  natsStream?: string;
  /** `cluster.leaseTtlMs`: short in tests, so a takeover happens in seconds (default 3000). */
  leaseTtlMs?: number;
  /** A Telegram account (`channels.telegram`) on every instance, against this Bot API stand-in. */
  telegram?: { apiRoot: string; botToken: string };
  /** More config, deep-merged over what the harness writes (per instance). */
  config?: (index: number) => Record<string, unknown>;
  /** More environment for every instance. */
  env?: Record<string, string | undefined>;
}

export const INSTANCE_READY_TIMEOUT_MS = 40_000;

export class GatewayInstance {
  readonly index: number;
  readonly instanceId: string;
  readonly port: number;
  readonly testEnv: TestEnv;
  proc?: CliProcess;
  /** Output of every run of this instance, earlier runs included. */
  #pastOutput = '';
  readonly #clients = new Set<GatewayClient>();

  constructor(index: number, port: number, testEnv: TestEnv) {
    this.index = index;
    this.instanceId = `gw-${index}`;
    this.port = port;
    this.testEnv = testEnv;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc?.running === true;
  }

  /** Everything this instance printed, across restarts. */
  get output(): string {
    return this.#pastOutput + (this.proc?.output ?? '');
  }

  /** Spawns the gateway and waits for `/readyz` to answer 200. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`${this.instanceId} is already running`);
    if (this.proc) this.#pastOutput += this.proc.output;
    this.proc = spawnCli(['gateway', '--port', String(this.port)], this.testEnv);
    await this.waitReady();
  }

  async waitReady(timeoutMs = INSTANCE_READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.instanceId} exited before it was ready:\n${this.output}`);
      const status = await fetch(`${this.httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error(`${this.instanceId} not ready within ${timeoutMs} ms (last /readyz ${status}):\n${this.output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** SIGKILL (a crash: no drain, leases die with the database sessions) and wait for the exit. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM (a graceful stop: drain, release leases) and wait for the exit. */
  async stop(timeoutMs = 20_000): Promise<void> {
    await this.#signal('SIGTERM', timeoutMs);
  }

  /** SIGSTOP: the process freezes as it is (a long GC pause, a stuck host); `resume()` thaws it. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** A connected operator client; closed by `close()` of the harness. */
  async client(options: { reconnect?: boolean } = {}): Promise<GatewayClient> {
    const client = new GatewayClient({
      url: this.url,
      token: TOKEN,
      client: { id: 'cli', version: '1.0.0', platform: 'linux', mode: 'cli' },
      scopes: ['operator.admin', 'operator.read', 'operator.write'],
      reconnect: options.reconnect ?? false,
      requestTimeoutMs: 60_000,
    });
    this.#clients.add(client);
    await client.connect();
    return client;
  }

  closeClients(): void {
    for (const client of this.#clients) client.close();
    this.#clients.clear();
  }

  async #signal(signal: NodeJS.Signals, timeoutMs = 10_000): Promise<void> {
    const proc = this.proc;
    if (!proc?.running) return;
    proc.kill(signal);
    if (signal === 'SIGTERM') proc.kill('SIGCONT');
    await proc.wait(timeoutMs);
  }
}

export class ClusterHarness {
  readonly instances: GatewayInstance[] = [];
  readonly #options: ClusterHarnessOptions;

  private constructor(options: ClusterHarnessOptions) {
    this.#options = options;
  }

  /** Prepares `count` instances (config files, ports); `start()` runs them. */
  static async create(count: number, options: ClusterHarnessOptions): Promise<ClusterHarness> {
    const harness = new ClusterHarness(options);
    for (let i = 0; i < count; i++) {
      const testEnv = await makeEnv(options.env);
      const instance = new GatewayInstance(i, await findFreePort(), testEnv);
      await writeFile(testEnv.configPath, JSON.stringify(harness.configFor(instance), null, 2));
      harness.instances.push(instance);
    }
    return harness;
  }

  /** The config file an instance runs with. */
  configFor(instance: GatewayInstance): Record<string, unknown> {
    const o = this.#options;
    const postgresUrl = o.postgresUrlFor?.(instance.index) ?? o.postgresUrl;
    const cluster = {
      instanceId: instance.instanceId,
      leaseTtlMs: o.leaseTtlMs ?? 3000,
      ...(postgresUrl ? { postgres: { url: postgresUrl, ...(o.schema ? { schema: o.schema } : {}) } } : {}),
      ...(o.natsUrl ? { nats: { url: o.natsUrl, ...(o.natsStream ? { stream: o.natsStream } : {}) } } : {}),
    };
    const base: Record<string, unknown> = {
      gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'token', token: TOKEN } },
      plugins: { entries: { clawgate: { config: { cluster, drainTimeoutMs: 2000 } } } },
      ...(o.telegram
        ? { channels: { telegram: { botToken: o.telegram.botToken, apiRoot: o.telegram.apiRoot, dmPolicy: 'open', allowFrom: ['*'] } } }
        : {}),
    };
    return deepMerge(base, o.config?.(instance.index) ?? {});
  }

  /** Starts the instances (all, or the given ones) one after another, each up to `/readyz`. */
  async start(which: number[] = this.instances.map((i) => i.index)): Promise<void> {
    for (const index of which) await this.instances[index]!.start();
  }

  instance(index: number): GatewayInstance {
    const instance = this.instances[index];
    if (!instance) throw new Error(`no instance ${index}`);
    return instance;
  }

  /** Closes every client and SIGKILLs every instance still running. */
  async close(): Promise<void> {
    for (const instance of this.instances) instance.closeClients();
    await Promise.all(this.instances.map((instance) => instance.kill()));
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Polls `check` until it returns something truthy; throws with `what` after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The instance whose Telegram account is connected, once exactly one (of the running ones) is. */
export async function ownerOf(instances: GatewayInstance[], what = 'one instance to own the Telegram account'): Promise<GatewayInstance> {
  return eventually(async () => {
    const owners: GatewayInstance[] = [];
    for (const instance of instances.filter((i) => i.running)) {
      const client = await instance.client();
      const status = await client.call('channels.status', {});
      client.close();
      if (status.channelAccounts.telegram?.[0]?.connected) owners.push(instance);
    }
    if (owners.length > 1) throw new Error(`two owners at once: ${owners.map((o) => o.instanceId).join(', ')}`);
    return owners[0];
  }, what, 30_000);
}
