import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { createGatewayRuntime } from '../../runtime/index.js';
import { killAll, makeEnv, runCli, startGateway } from '../bin/helpers.js';

const fixtures = join(import.meta.dirname, '../lib/config/fixtures');
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await killAll();
});

async function call<R>(url: string, token: string, method: string): Promise<R> {
  const client = new GatewayClient({ url, token, client: { version: '1', platform: 'test' }, reconnect: false });
  try {
    await client.connect();
    return await client.call<R>(method, {});
  } finally {
    await client.close();
  }
}

describe('the gateway starts on upstream configs as they are', () => {
  it("the seed era's onboarding config: `openclaw gateway` runs and serves its agents and models", async () => {
    const t = await makeEnv({ OPENCLAW_SKIP_CANVAS_HOST: '1' });
    await copyFile(join(fixtures, 'seed-onboard.json5'), t.configPath);
    const gateway = await startGateway(['--port', '0'], t);
    const token = 'seed-era-token-0123456789abcdef';
    expect(await call(gateway.url, token, 'agents.list')).toMatchObject({
      defaultId: 'main',
      mainKey: 'main',
      scope: 'per-sender',
      agents: [{ id: 'main', model: { primary: 'local/demo', fallbacks: ['local/backup'] } }],
    });
    expect(await call(gateway.url, token, 'models.list')).toEqual({ models: [{ id: 'demo', name: 'Demo', provider: 'local' }, { id: 'backup', name: 'Backup', provider: 'local' }] });
    const doctor = await runCli(['doctor', '--json'], t);
    const report = JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; details?: string[] }> };
    expect(report.checks.find((c) => c.id === 'config-dialect')?.status).toBe('ok');
    expect(report.checks.find((c) => c.id === 'config-unused')?.details).toEqual(expect.arrayContaining(['meta', 'wizard', 'agents.defaults.compaction']));
  });

  it("today's config (agents.entries, a secret reference, newer families): the embedded runtime starts on it", async () => {
    const t = await makeEnv();
    await copyFile(join(fixtures, 'today.json5'), t.configPath);
    const runtime = await createGatewayRuntime({
      config: t.configPath,
      stateDir: t.stateDir,
      env: { TODAY_GATEWAY_TOKEN: 'today-token-0123456789abcdef', OPENCLAW_SKIP_CANVAS_HOST: '1' },
      overrides: { port: '0' },
    });
    cleanups.push(() => runtime.stop());
    await runtime.start();
    const agents = await call<{ defaultId: string; agents: Array<{ id: string; name?: string }> }>(`ws://127.0.0.1:${runtime.port}`, 'today-token-0123456789abcdef', 'agents.list');
    expect(agents).toMatchObject({ defaultId: 'work', agents: [{ id: 'main', name: 'Claw' }, { id: 'work' }] });
  });
});
