import { describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { HAS_CHROMIUM, startUiGateway, useBrowser, type UiGateway } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';
import { upstreamControlUi, UPSTREAM_VERSION } from './upstream-control-ui.js';

/**
 * The browser app of upstream OpenClaw's seed-era release, served by this gateway through
 * `gateway.controlUi.root`: its Chat, Sessions and Debug views must work against us.
 */
describe.skipIf(!HAS_CHROMIUM)(`upstream OpenClaw ${UPSTREAM_VERSION} Control UI against this gateway`, () => {
  const suite = useBrowser();

  async function start(): Promise<{ gw: UiGateway; model: ModelStandIn; client: GatewayClient; close: () => Promise<void> }> {
    const root = await upstreamControlUi();
    const model = new ModelStandIn();
    await model.start();
    const gw = await startUiGateway({
      assetsDir: suite.assetsDir,
      config: {
        gateway: { controlUi: { root } },
        models: { providers: { local: { baseUrl: model.baseUrl, api: 'openai-completions', models: [{ id: 'demo', name: 'Demo' }] } } },
        agents: { defaults: { model: 'local/demo' } },
      },
    });
    const client = new GatewayClient({ url: `ws://127.0.0.1:${gw.port}`, token: gw.token, client: { version: '1', platform: 'test' }, reconnect: false });
    await client.connect();
    return {
      gw,
      model,
      client,
      close: async () => {
        await client.close();
        await gw.stop();
        await model.close();
      },
    };
  }

  it('signs in from ?token=, chats, and its Sessions view lists and patches sessions', async () => {
    const { gw, client, close } = await start();
    try {
      const page = await suite.newPage();
      const unknown: string[] = [];
      page.on('console', (m) => m.text().includes('unknown method') && unknown.push(m.text()));
      await page.goto(`${gw.origin}/?token=${gw.token}`);
      const input = page.locator('textarea').first();
      await input.fill('hello there');
      await input.press('Enter');
      await page.getByText('Hello', { exact: true }).waitFor({ timeout: 10_000 });

      await page.goto(`${gw.origin}/sessions`);
      const row = page.locator('.table-row', { hasText: 'agent:main:main' });
      await row.waitFor({ timeout: 10_000 });
      await row.locator('input').fill('Planning');
      await row.locator('input').press('Enter');
      await row.locator('select').first().selectOption('high');
      await expect
        .poll(async () => (await client.call('sessions.list', {})).sessions.find((s) => s.key === 'agent:main:main'), { timeout: 10_000 })
        .toMatchObject({ label: 'Planning', thinkingLevel: 'high' });
      expect(await page.locator('main').innerText()).not.toContain('unknown method');
      expect(unknown).toEqual([]);
    } finally {
      await close();
    }
  });

  it('its Debug view shows models.list from the configured catalog', async () => {
    const { gw, close } = await start();
    try {
      const page = await suite.newPage();
      await page.goto(`${gw.origin}/?token=${gw.token}`);
      await page.locator('textarea').first().waitFor({ timeout: 10_000 });
      await page.goto(`${gw.origin}/debug`);
      await expect.poll(async () => page.locator('main').innerText(), { timeout: 10_000 }).toMatch(/Models[\s\S]*"id": "demo"[\s\S]*"provider": "local"/);
      expect(await page.locator('main').innerText()).not.toContain('unknown method: models.list');
    } finally {
      await close();
    }
  });
});

