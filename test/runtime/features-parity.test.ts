import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { createGatewayRuntime } from '../../runtime/index.js';
import { makeEnv } from '../bin/helpers.js';

/** The names the seed-era upstream gateway advertised in hello-ok: 82 methods, 18 events. */
const reference = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/upstream-2026.1.30-hello-features.json'), 'utf8')) as { methods: string[]; events: string[] };

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('openclaw gateway advertises the seed-era method and event set', () => {
  it('every method and event upstream 2026.1.30 advertised, at protocol 3 and at protocol 4', async () => {
    const t = await makeEnv({ OPENCLAW_SKIP_CANVAS_HOST: '1' });
    const token = 'parity-token-0123456789abcdef';
    await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local', auth: { token } } }), { mode: 0o600 });
    const runtime = await createGatewayRuntime({ config: t.configPath, stateDir: t.stateDir, env: t.env, overrides: { port: '0' } });
    stops.push(() => runtime.stop());
    await runtime.start();
    for (const maxProtocol of [3, 4]) {
      const client = new GatewayClient({ url: `ws://127.0.0.1:${runtime.port}`, token, maxProtocol, client: { version: '1', platform: 'test' }, reconnect: false });
      const hello = await client.connect();
      await client.close();
      expect(hello.protocol).toBe(maxProtocol);
      expect(reference.methods.filter((m) => !hello.features.methods.includes(m))).toEqual([]);
      expect(reference.events.filter((e) => !hello.features.events.includes(e))).toEqual([]);
    }
  });
});
