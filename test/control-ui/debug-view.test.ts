import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { expectNoAxeViolations } from './axe.js';
import { operatorClient } from './chat-turns.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, openDashboard, screenshot, startUiGateway, unlabelledControls, type UiGateway, useBrowser } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI Debug view in a real browser', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;
  let model: ModelStandIn;
  let client: GatewayClient;

  beforeEach(async () => {
    model = new ModelStandIn();
    model.script = ['HEARTBEAT_OK'];
    await model.start();
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: {
        models: { providers: { local: { baseUrl: model.baseUrl, api: 'openai-completions', models: [{ id: 'demo', name: 'Demo', contextWindow: 32000 }] } } },
        agents: { defaults: { model: 'local/demo' } },
        gateway: { controlUi: { allowInsecureAuth: true } },
      },
    });
    client = await operatorClient(gw);
    page = await openDashboard(ui, gw, { timeoutMs: 10_000 });
  });

  afterEach(async () => {
    await client?.close();
    await gw?.stop();
    await model?.close();
  });

  it('shows status, health, models, the last heartbeat and presence, and calls any method for an admin', async () => {
    await page.getByRole('link', { name: 'Debug' }).click();
    const models = page.getByRole('region', { name: 'Models', exact: true });
    await models.getByRole('cell', { name: 'demo', exact: true }).waitFor();
    expect(await models.innerText()).toMatch(/local\s+demo\s+Demo\s+32,000/);
    await page.getByRole('region', { name: 'Last heartbeat', exact: true }).getByText('No heartbeat has run since the gateway started.').waitFor();
    expect(await page.getByLabel('Status answer').innerText()).toContain('"heartbeat"');
    expect(JSON.parse(await page.getByLabel('Health answer').innerText())).toMatchObject({ ok: true, defaultAgentId: 'main' });
    await page.getByRole('region', { name: 'Presence', exact: true }).getByRole('cell', { name: 'ui' }).first().waitFor();

    // A heartbeat runs (wake now): Refresh shows it.
    await client.call('wake', { mode: 'now', text: 'check in' });
    await expect.poll(async () => client.call('last-heartbeat', {}), { timeout: 15_000 }).not.toBeNull();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Last heartbeat', exact: true }).innerText()).toMatch(/Result\s+(sent|ok-empty|ok-token|skipped|failed)/);

    // The method caller: a result, pretty-printed.
    const caller = page.getByRole('region', { name: 'Call a method' });
    await caller.getByRole('combobox', { name: 'Method' }).fill('cron.status');
    await caller.getByLabel('Params (JSON or JSON5)').fill('{}');
    await caller.getByRole('button', { name: 'Call' }).click();
    const result = caller.getByLabel('Result of cron.status');
    await result.waitFor();
    expect(JSON.parse(await result.innerText())).toMatchObject({ enabled: true, jobs: 0 });

    // Bad JSON never leaves the page; a refused call shows the method, code and message.
    await caller.getByLabel('Params (JSON or JSON5)').fill('{ oops');
    await caller.getByRole('button', { name: 'Call' }).click();
    await caller.getByRole('alert').filter({ hasText: 'The params are not valid JSON' }).waitFor();
    expect(await caller.getByLabel('Params (JSON or JSON5)').getAttribute('aria-invalid')).toBe('true');
    await caller.getByRole('combobox', { name: 'Method' }).fill('no.such.method');
    await caller.getByLabel('Params (JSON or JSON5)').fill('{}');
    await caller.getByLabel('Params (JSON or JSON5)').press('Tab');
    await page.keyboard.press('Enter');
    const refusal = caller.locator('[data-method="no.such.method"]');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/^no\.such\.method failed \(INVALID_REQUEST\): unknown method/);
    await caller.getByRole('combobox', { name: 'Method' }).fill('cron.add');
    await caller.getByLabel('Params (JSON or JSON5)').fill("{ name: 'x' }");
    await caller.getByRole('button', { name: 'Call' }).click();
    await caller.locator('[data-method="cron.add"]').waitFor();
    expect(await caller.locator('[data-method="cron.add"]').innerText()).toMatch(/^cron\.add failed \(INVALID_REQUEST\): .+/);

    expect(await unlabelledControls(page)).toEqual([]);
    await expectNoAxeViolations(page, {}, 'debug view');
    await screenshot(page, 'debug-1440');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'debug-375');
  }, 120_000);

  it('has no method caller, and no cron changes, for an operator without operator.admin', async () => {
    await client.call('cron.add', { name: 'Nightly', schedule: { kind: 'every', everyMs: 86_400_000 }, sessionTarget: 'main', wakeMode: 'next-heartbeat', payload: { kind: 'systemEvent', text: 'n' } });
    const readOnly = await ui.newPage();
    readOnly.setDefaultTimeout(10_000);
    // The UI asks for operator.admin. Here it asks for operator.read instead, without its device
    // identity (which signs the scopes it asks for): gateway.controlUi.allowInsecureAuth admits it.
    await readOnly.addInitScript(() => {
      const NativeWebSocket = window.WebSocket;
      window.WebSocket = class extends NativeWebSocket {
        override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
          if (typeof data === 'string' && data.includes('"method":"connect"')) {
            const frame = JSON.parse(data) as { params: { scopes?: string[]; device?: unknown } };
            frame.params.scopes = ['operator.read'];
            delete frame.params.device;
            super.send(JSON.stringify(frame));
            return;
          }
          super.send(data);
        }
      } as typeof WebSocket;
    });
    await readOnly.goto(gw.dashboardUrl);
    await readOnly.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await readOnly.getByRole('link', { name: 'Debug' }).click();
    await readOnly.getByRole('region', { name: 'Models', exact: true }).getByRole('cell', { name: 'demo', exact: true }).waitFor();
    expect(await readOnly.getByRole('region', { name: 'Call a method' }).count()).toBe(0);
    expect(await readOnly.getByRole('combobox', { name: 'Method' }).count()).toBe(0);
    // Jobs and their run log are readable; adding, running, editing and removing are not offered.
    await readOnly.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Cron jobs' }).click();
    const row = readOnly.getByTestId('cron-jobs').locator('tr', { hasText: 'Nightly' });
    await row.getByRole('button', { name: 'Runs Nightly' }).waitFor();
    expect(await row.getByRole('button').allInnerTexts()).toEqual(['Runs']);
    expect(await readOnly.getByRole('button', { name: 'Add job' }).isHidden()).toBe(true);
  });
});
