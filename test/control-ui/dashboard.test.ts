import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../lib/device-identity.js';
import { TOKEN } from '../helpers/connect.js';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { startNode, startOperator } from '../helpers/nodes.js';
import {
  HAS_CHROMIUM,
  SKIP_MESSAGE,
  screenshot,
  startUiGateway,
  unlabelledControls,
  type UiGateway,
  useBrowser,
} from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: overview, presence, pairing', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;
  const clients: GatewayClient[] = [];

  beforeEach(async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
    page = await ui.newPage();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await gw?.stop();
  });

  async function openDashboard(): Promise<void> {
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  }

  it('opens the dashboard link with the token in the fragment only, then keeps it for the session and strips it from the URL', async () => {
    const url = new URL(gw.dashboardUrl);
    expect(url.search).toBe('');
    expect(url.hash).toBe(`#token=${TOKEN}`);
    expect(url.origin).toBe(gw.origin);
    // A configured token is never printed: the link the gateway printed is the bare page.
    expect(gw.out.filter((line) => line.includes(TOKEN))).toEqual([]);
    expect(gw.out).toContain(`Dashboard: ${gw.origin}/`);

    await openDashboard();
    expect(page.url()).toBe(`${gw.origin}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('openclaw.controlUi.token'))).toBe(TOKEN);

    // A reload finds the token in sessionStorage (or the device token) and connects again.
    await page.reload();
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  });

  it("opens upstream's link style (token in the query): signed in, token kept for the session and stripped from the URL", async () => {
    const tokenStored = () => page.evaluate(() => sessionStorage.getItem('openclaw.controlUi.token'));
    await page.goto(`${gw.origin}/?token=${TOKEN}`);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    expect(await page.evaluate(() => location.search)).toBe('');
    expect(page.url()).toBe(`${gw.origin}/`);
    expect(await tokenStored()).toBe(TOKEN);

    // A fresh tab on a view, with other parameters and a fragment: only the token goes.
    page = await ui.newPage();
    await page.goto(`${gw.origin}/logs?lines=50&token=${TOKEN}#tail`);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('heading', { name: 'Logs', level: 1 }).waitFor();
    expect(page.url()).toBe(`${gw.origin}/logs?lines=50#tail`);
    expect(await tokenStored()).toBe(TOKEN);
  });

  it('shows health, version and uptime on the overview', async () => {
    await openDashboard();
    await expect.poll(() => page.getByTestId('health').textContent()).toContain('OK');
    expect(await page.getByTestId('version').textContent()).toBe(gw.runtime.gateway!.version);
    expect(await page.getByTestId('uptime').textContent()).toMatch(/^\d+(s|m \d+s)$/);
    expect(await page.getByRole('heading', { name: 'Channels' }).isVisible()).toBe(true);
    expect(await page.getByRole('heading', { name: 'Last errors' }).isVisible()).toBe(true);
    await screenshot(page, 'overview-1440');
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'overview-375');
  });

  it('shows channels with their link state and their last errors', async () => {
    const stub = await new BotApiStub().start();
    await gw.stop();
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: {
        channels: {
          telegram: {
            accounts: {
              main: { botToken: stub.token, apiRoot: stub.apiRoot },
              broken: { botToken: '999:nope', apiRoot: 'http://127.0.0.1:9' },
            },
          },
        },
      },
    });
    try {
      const operator = await startOperator(`ws://127.0.0.1:${gw.port}`);
      clients.push(operator);
      // Wait until the gateway itself knows both outcomes, then ask the page to look again.
      await expect
        .poll(async () => {
          const accounts = (await operator.call('channels.status', {})).channelAccounts.telegram ?? [];
          return accounts.map((a) => `${a.accountId}:${a.connected}:${a.lastError ? 'error' : 'ok'}`).sort();
        }, { timeout: 15_000 })
        .toEqual(['broken:false:error', 'main:true:ok']);
      await openDashboard();
      await page.getByRole('button', { name: 'Probe now' }).click();
      const channels = page.getByRole('region', { name: 'Channels' });
      await expect.poll(() => channels.locator('tbody tr', { hasText: 'Telegram (main)' }).textContent()).toContain('connected');
      const broken = channels.locator('tbody tr', { hasText: 'Telegram (broken)' });
      expect(await broken.textContent()).toContain('ECONNREFUSED');
      expect(await broken.textContent()).not.toContain('connected');
      expect(await page.getByRole('region', { name: 'Last errors' }).textContent()).toContain('Telegram (broken)');
      await screenshot(page, 'overview-channels-1440');
    } finally {
      await stub.close();
    }
  });

  it('lists presence live: a client appears when it connects and is marked as left when it goes', async () => {
    await openDashboard();
    await page.getByRole('link', { name: 'Presence' }).click();
    await page.getByRole('heading', { name: 'Presence', level: 1 }).waitFor();
    const rows = page.locator('table tbody tr');
    await expect.poll(() => rows.count()).toBe(2); // the gateway itself and this browser

    const client = new GatewayClient({
      url: `ws://127.0.0.1:${gw.port}`,
      token: TOKEN,
      reconnect: false,
      client: { id: 'openclaw-macos', mode: 'ui', version: '9.9.9', platform: 'darwin', displayName: 'Studio Mac', instanceId: 'mac-1' },
    });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    const mac = page.locator('tr', { hasText: 'Studio Mac' });
    await mac.waitFor();
    expect(await mac.textContent()).toContain('9.9.9');
    await screenshot(page, 'presence-1440');

    client.close();
    await expect.poll(() => mac.textContent()).toContain('left');
  });

  it('approves a pending device pairing request live; the device can then connect', async () => {
    await openDashboard();
    await page.getByRole('link', { name: 'Nodes & devices' }).click();
    await page.getByRole('heading', { name: 'Pending device pairing requests' }).waitFor();
    await page.getByText('No device is waiting for approval.').waitFor();

    // A node on another machine (non-loopback Host) with a new device key must be approved first.
    const signer = createNodeDeviceSigner(generateDeviceIdentity());
    const refused = await startNode(`ws://127.0.0.1:${gw.port}`, { remote: true, signer, displayName: 'Kitchen Pi' }).catch((err: Error) => err);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe('pairing required');

    const approve = page.getByRole('button', { name: 'Approve Kitchen Pi' });
    await approve.waitFor();
    await screenshot(page, 'nodes-pending-1440');
    await approve.click();
    await page.getByRole('status').filter({ hasText: 'Approved Kitchen Pi.' }).waitFor();
    await page.getByText('No device is waiting for approval.').waitFor();

    const node = await startNode(`ws://127.0.0.1:${gw.port}`, { remote: true, signer, displayName: 'Kitchen Pi' });
    clients.push(node.client);
    const nodeRow = page.locator('section', { hasText: 'Nodes' }).locator('tr', { hasText: 'Kitchen Pi' });
    await expect.poll(async () => (await page.locator('tr', { hasText: 'Kitchen Pi' }).allTextContents()).join(' ')).toContain('connected');
    expect(await nodeRow.count()).toBeGreaterThan(0);
    await screenshot(page, 'nodes-1440');
  });

  it('approves and rejects node pairing requests (node.pair.*) as they arrive', async () => {
    await openDashboard();
    await page.getByRole('link', { name: 'Nodes & devices' }).click();
    await page.getByText('No node is waiting for approval.').waitFor();
    const operator = new GatewayClient({
      url: `ws://127.0.0.1:${gw.port}`,
      token: TOKEN,
      reconnect: false,
      client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
    });
    operator.on('error', () => undefined);
    clients.push(operator);
    await operator.connect();
    await operator.call('node.pair.request', { nodeId: 'bridge-node-1', displayName: 'Garage Bridge', platform: 'linux', caps: ['camera'] });
    await operator.call('node.pair.request', { nodeId: 'bridge-node-2', displayName: 'Shed Bridge' });

    await page.getByRole('button', { name: 'Approve Garage Bridge' }).click();
    await page.getByRole('status').filter({ hasText: 'Approved Garage Bridge.' }).waitFor();
    await page.getByRole('button', { name: 'Reject Shed Bridge' }).click();
    await page.getByText('No node is waiting for approval.').waitFor();

    const pairs = await operator.call('node.pair.list');
    expect(pairs.pending).toEqual([]);
    expect(pairs.paired.map((n) => n.nodeId)).toEqual(['bridge-node-1']);
  });

  it('is keyboard-navigable and every control has a label', async () => {
    await openDashboard();
    // Tab order: skip link, change-token button, then the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    for (let i = 0; i < 10; i++) {
      if ((await page.evaluate(() => document.activeElement?.textContent)) === 'Logs') break;
      await page.keyboard.press('Tab');
    }
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Logs');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Logs', level: 1 }).waitFor();
    expect(page.url()).toBe(`${gw.origin}/logs`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('view-title');
    // The skip link jumps to the content of the current view, not to the root page.
    await page.locator('.skip-link').focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    expect(page.url()).toBe(`${gw.origin}/logs`);

    // Every view at phone width: labelled controls, nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    for (const view of ['overview', 'presence', 'nodes', 'chat', 'logs', 'config']) {
      await page.goto(`${gw.origin}/${view}`);
      await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
      await page.locator('#view .card, #view .chat, #view .logs').first().waitFor();
      expect(await unlabelledControls(page), view).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), view).toBeLessThanOrEqual(375);
      await screenshot(page, `${view}-375`);
    }
  });
});
