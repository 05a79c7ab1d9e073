import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { HAS_CHROMIUM, screenshot, startUiGateway, tempDir, useBrowser, type UiGateway } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';
import { upstreamControlUi, UPSTREAM_VERSION } from './upstream-control-ui.js';
import { UpstreamUiWatch } from './upstream-ui-watch.js';

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
    const workspace = await tempDir('openclaw-upstream-ws-');
    await mkdir(join(workspace, 'skills', 'notes'), { recursive: true });
    await writeFile(join(workspace, 'skills', 'notes', 'SKILL.md'), '---\nname: notes\ndescription: Keeps notes\n---\nUse it.\n');
    const gw = await startUiGateway({
      assetsDir: suite.assetsDir,
      config: {
        gateway: { controlUi: { root } },
        models: { providers: { local: { baseUrl: model.baseUrl, api: 'openai-completions', models: [{ id: 'demo', name: 'Demo' }] } } },
        agents: { defaults: { model: 'local/demo', workspace } },
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

  /** One action per tab of the upstream app, in the order a user would try them. */
  const TAB_ACTIONS: Array<[tab: string, link: string, act: (page: Page, client: GatewayClient) => Promise<void>]> = [
    [
      'chat',
      'Chat',
      async (page) => {
        const input = page.getByPlaceholder(/Message/);
        await input.fill('hello there');
        await input.press('Enter');
        await page.getByText('Hello', { exact: true }).waitFor();
      },
    ],
    [
      'overview',
      'Overview',
      async (page) => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.getByText(/Uptime/i).first().waitFor();
      },
    ],
    [
      'channels',
      'Channels',
      async (page) => {
        await page.getByRole('button', { name: 'Refresh' }).first().click();
        await page.getByText('WhatsApp', { exact: true }).first().waitFor();
      },
    ],
    [
      'instances',
      'Instances',
      async (page) => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.getByText(/Control UI|webchat|openclaw-control-ui/i).first().waitFor();
      },
    ],
    [
      'sessions',
      'Sessions',
      async (page, client) => {
        const row = page.locator('.table-row', { hasText: 'agent:main:main' });
        await row.waitFor();
        await row.locator('input').fill('Planning');
        await row.locator('input').press('Enter');
        await expect.poll(async () => (await client.call('sessions.list', {})).sessions.find((s) => s.key === 'agent:main:main')?.label).toBe('Planning');
        // Delete asks with window.confirm; the main session cannot be deleted, so a second one goes.
        await client.call('chat.send', { sessionKey: 'agent:main:scratch', message: 'scratch', idempotencyKey: 'upstream-scratch' });
        await expect.poll(async () => (await client.call('sessions.list', {})).sessions.map((s) => s.key)).toContain('agent:main:scratch');
        await page.getByRole('button', { name: 'Refresh' }).click();
        const scratch = page.locator('.table-row', { hasText: 'agent:main:scratch' });
        page.once('dialog', (dialog) => dialog.accept().catch(() => {}));
        await scratch.getByRole('button', { name: 'Delete' }).click();
        await expect.poll(async () => (await client.call('sessions.list', {})).sessions.map((s) => s.key)).not.toContain('agent:main:scratch');
      },
    ],
    [
      'cron',
      'Cron Jobs',
      async (page, client) => {
        await page.getByLabel('Name').fill('Upstream job');
        await page.getByLabel('System text').fill('check the inbox');
        await page.getByRole('button', { name: 'Add job' }).click();
        await expect.poll(async () => (await client.call('cron.list', { includeDisabled: true })).jobs.map((j) => j.name)).toContain('Upstream job');
        await page.getByText('Upstream job').first().waitFor();
        await page.getByRole('button', { name: 'Run', exact: true }).first().click();
        await expect.poll(async () => (await client.call('cron.runs', { id: (await client.call('cron.list', {})).jobs[0]!.id })).entries.length).toBeGreaterThan(0);
      },
    ],
    [
      'skills',
      'Skills',
      async (page, client) => {
        await page.getByText('notes', { exact: true }).first().waitFor();
        await page.getByRole('button', { name: 'Disable' }).first().click();
        await expect.poll(async () => (await client.call('skills.status', {})).skills.find((k) => k.name === 'notes')?.disabled).toBe(true);
      },
    ],
    [
      'nodes',
      'Nodes',
      async (page, client) => {
        const card = page.locator('section, .card', { hasText: 'Exec approvals' }).first();
        await card.locator('select').nth(1).selectOption({ label: 'Allowlist' });
        await card.getByRole('button', { name: 'Save' }).click();
        await expect.poll(async () => (await client.call('exec.approvals.get', {})).file.defaults?.security).toBe('allowlist');
      },
    ],
    [
      'config',
      'Config',
      async (page) => {
        await page.getByRole('button', { name: 'Gateway', exact: true }).click();
        await page.getByText('Allow Real Ip Fallback').first().waitFor();
        await page.getByRole('button', { name: 'Channels', exact: true }).click();
        await page.getByText('Telegram', { exact: true }).first().waitFor();
      },
    ],
    [
      'debug',
      'Debug',
      async (page) => {
        await page.getByLabel('Method').fill('health');
        await page.getByLabel('Params (JSON)').fill('{}');
        await page.getByRole('button', { name: 'Call' }).click();
        await page.getByText('"defaultAgentId"').first().waitFor();
      },
    ],
    [
      'logs',
      'Logs',
      async (page) => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.getByText(/listening on/).first().waitFor();
      },
    ],
  ];

  it('every tab works: one action in each, no refused request, unknown method, error banner or unsupported schema node', async () => {
    const { gw, client, close } = await start();
    try {
      const page = await suite.newPage();
      page.setDefaultTimeout(15_000);
      const watch = new UpstreamUiWatch(page);
      await page.goto(`${gw.origin}/?token=${gw.token}`);
      await page.getByPlaceholder(/Message/).waitFor();
      const problems: string[] = [];
      for (const [tab, link, act] of TAB_ACTIONS) {
        await page.getByRole('link', { name: link, exact: true }).click();
        await expect.poll(() => new URL(page.url()).pathname).toBe(`/${tab}`);
        try {
          await act(page, client);
        } catch (err) {
          problems.push(`${tab}: the action failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        }
        // Late answers (refreshes the tab started) land before the tab is judged.
        await page.waitForLoadState('networkidle');
        await screenshot(page, `upstream-${UPSTREAM_VERSION}-${tab}`);
        problems.push(...(await watch.problemsOnScreen(page)).map((p) => `${tab}: ${p}`));
        problems.push(...watch.refused.splice(0).map((r) => `${tab}: refused ${r}`));
        problems.push(...watch.console.splice(0).map((c) => `${tab}: console ${c}`));
      }
      expect(problems).toEqual([]);

      // The watch sees trouble when there is some: a method this gateway does not have.
      await page.getByRole('link', { name: 'Debug', exact: true }).click();
      await page.getByLabel('Method').fill('no.such.method');
      await page.getByRole('button', { name: 'Call' }).click();
      await expect.poll(() => watch.refused).toEqual([expect.stringMatching(/^no\.such\.method: INVALID_REQUEST unknown method/)]);
      expect(await watch.problemsOnScreen(page)).toEqual(expect.arrayContaining([expect.stringMatching(/^\.callout\.danger: .*unknown method/)]));
    } finally {
      await close();
    }
  }, 240_000);
});
