import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { expectNoAxeViolations } from './axe.js';
import { chatTurn, operatorClient } from './chat-turns.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, tempDir, type UiGateway, unlabelledControls, useBrowser } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

const DAY_MS = 24 * 60 * 60 * 1000;
const day = (ago: number) => new Date(Date.now() - ago * DAY_MS).toISOString().slice(0, 10);

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: Usage view (tokens and cost per day and per session)', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;
  let model: ModelStandIn;
  let client: GatewayClient;

  beforeEach(async () => {
    model = new ModelStandIn();
    await model.start();
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: {
        models: {
          providers: {
            standin: { baseUrl: model.baseUrl, api: 'openai-completions', apiKey: 'sk-stand-in', models: [{ id: 'stand-in-1', name: 'Stand-in', cost: { input: 3, output: 15 } }] },
          },
        },
        agents: { defaults: { model: 'standin/stand-in-1', workspace: await tempDir('openclaw-ui-workspace-') } },
      },
    });
    // Earlier days, as the gateway's usage ledger recorded them (read on first use, so before any run).
    await mkdir(join(gw.stateDir, 'usage'), { recursive: true });
    const recorded = (input: number, output: number) => ({ 'standin/stand-in-1': { input, output, cacheRead: 0, cacheWrite: 0, runs: 1 } });
    await writeFile(join(gw.stateDir, 'usage/daily.json'), JSON.stringify({ version: 1, days: { [day(2)]: recorded(100_000, 10_000), [day(10)]: recorded(40_000, 4_000) } }));
    client = await operatorClient(gw);
    // Each stand-in reply reports 5 prompt + 7 completion tokens.
    await chatTurn(client, 'main', 'Hello');
    await chatTurn(client, 'main', 'Again');
    await chatTurn(client, 'research', 'Tide pools?');
    await client.call('sessions.patch', { key: 'research', label: 'Tide pools' });
    page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Usage', exact: true }).click();
    await page.locator('#view[data-view="usage"]').waitFor();
  });

  afterEach(async () => {
    client?.close();
    await gw?.stop();
    await model?.close();
  });

  it('shows totals, a bar per active day with a table, and the tokens and cost of each session', async () => {
    // 154 000 recorded earlier + 3 runs of 12; $0.45 + $0.18 + 3 × $0.00012.
    await expect.poll(() => page.getByTestId('usage-total-tokens').textContent()).toBe('154,036');
    expect(await page.getByTestId('usage-total-cost').textContent()).toBe('$0.63');

    const chart = page.getByRole('img', { name: /^Tokens per day \(UTC\)/ });
    expect(await chart.getAttribute('aria-label')).toContain(`highest ${day(2)}: 110,000 tokens, $0.45`);
    expect(await page.locator('.usage-chart rect.usage-bar').count()).toBe(3);
    expect(await page.locator(`.usage-chart rect[data-date="${day(0)}"] title`).textContent()).toBe(`${day(0)}: 36 tokens, $0.00036`);
    const daily = page.getByRole('table', { name: 'Tokens and cost per day' });
    expect(await daily.locator('tbody tr').allInnerTexts()).toEqual([
      `${day(0)}\t36\t15\t21\t$0.00036`,
      `${day(2)}\t110,000\t100,000\t10,000\t$0.45`,
      `${day(10)}\t44,000\t40,000\t4,000\t$0.18`,
    ]);

    const sessions = page.getByRole('table', { name: 'Tokens and cost per session' });
    const rows = await sessions.locator('tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^agent:main:research · Tide pools\tmain\t\s*12\s*\t\$0\.00012\t2\t/);
    expect(rows[1]).toMatch(/^agent:main:main\tmain\t\s*24\s*\t\$0\.00024\t4\t/);
    expect(await page.getByRole('table', { name: 'Tokens today by provider' }).locator('tbody tr').innerText()).toBe('standin\t36\t3');

    // A shorter period drops the older day from the totals and the chart.
    await page.getByLabel('Period').selectOption('7');
    await expect.poll(() => page.getByTestId('usage-total-tokens').textContent()).toBe('110,036');
    expect(await page.locator('.usage-chart rect.usage-bar').count()).toBe(2);
    expect(await unlabelledControls(page)).toEqual([]);
    await expectNoAxeViolations(page, {}, 'the Usage view');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectNoAxeViolations(page, {}, 'the Usage view, dark scheme');
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'usage-1440');

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectNoAxeViolations(page, {}, 'the Usage view at 390px');
    await screenshot(page, 'usage-390');
  });

  it('shows a failing usage call in its own section with the method and message', async () => {
    // Another gateway whose usage ledger is unreadable: usage.cost refuses, the other sections still load.
    const broken = await startUiGateway({ assetsDir: ui.assetsDir });
    try {
      await mkdir(join(broken.stateDir, 'usage'), { recursive: true });
      await writeFile(join(broken.stateDir, 'usage/daily.json'), '{ not json');
      await page.goto(broken.dashboardUrl);
      await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
      await page.getByRole('link', { name: 'Usage', exact: true }).click();
      const perDay = page.getByRole('region', { name: 'Per day' });
      await perDay.getByRole('alert').waitFor();
      expect(await perDay.getByRole('alert').textContent()).toMatch(/^usage\.cost failed \(UNAVAILABLE\): .*usage\/daily\.json is unreadable/);
      await page.getByRole('region', { name: 'Per session' }).getByText('No session was active in this period.').waitFor();
      expect(await page.getByTestId('usage-total-tokens').count()).toBe(0);
      await screenshot(page, 'usage-error-1440');
    } finally {
      await broken.stop();
    }
  });
});
