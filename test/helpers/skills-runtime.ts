import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCliContext } from '../../bin/cli-context.js';
import { GatewayClient } from '../../lib/client/index.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import type { RuntimePlugin } from '../../runtime/runtime-plugin.js';
import { TOKEN } from './connect.js';

export interface RuntimeHarness {
  runtime: GatewayRuntime;
  home: string;
  configPath: string;
  url: string;
  /** An operator client with admin scope. */
  client(): Promise<GatewayClient>;
  close(): Promise<void>;
}

/**
 * A full GatewayRuntime (config file, state dir, in-process restarts) on 127.0.0.1:0 in a temp
 * home, with the given runtime plugins; the config gets token auth added.
 */
export async function startRuntime(config: Record<string, any>, plugins: RuntimePlugin[], env: Record<string, string> = {}): Promise<RuntimeHarness> {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-rt-'));
  const configPath = join(home, 'openclaw.json');
  const full = { ...config, gateway: { mode: 'local', auth: { token: TOKEN }, ...config.gateway }, logging: { file: join(home, 'gateway.log') } };
  await writeFile(configPath, JSON.stringify(full, null, 2), { mode: 0o600 });
  const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath, PATH: process.env.PATH, ...env });
  const runtime = new GatewayRuntime({ environment: ctx, overrides: { port: '0' }, out: () => undefined, plugins, logDir: join(home, 'logs') });
  await runtime.start();
  const clients: GatewayClient[] = [];
  return {
    runtime,
    home,
    configPath,
    url: `ws://127.0.0.1:${runtime.port}`,
    async client() {
      const client = new GatewayClient({
        url: `ws://127.0.0.1:${runtime.port}`,
        token: TOKEN,
        client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      });
      clients.push(client);
      await client.connect();
      return client;
    },
    async close() {
      for (const c of clients) await c.close();
      await runtime.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
