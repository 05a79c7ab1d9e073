import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { whatsappChannelDefinition } from '../../channels/whatsapp.js';
import { qrDataUrl } from '../../channels/qr-data-url.js';
import type { GatewayClient } from '../../lib/client/index.js';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { fakeWaNetwork, type FakeWaNetwork } from '../channels/fake-wa-socket.js';
import { startOperator } from '../helpers/nodes.js';
import { expectNoAxeViolations } from './axe.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, unlabelledControls, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

const ME = '15551234567:7@s.whatsapp.net';

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: Channels (WhatsApp QR link, Telegram, DM pairing)', () => {
  const ui = useBrowser();
  let gw: UiGateway | undefined;
  const stubs: BotApiStub[] = [];
  const clients: GatewayClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await gw?.stop();
    gw = undefined;
    await Promise.all(stubs.splice(0).map((s) => s.close()));
  });

  async function openChannels(page: Page, g: UiGateway): Promise<void> {
    await page.goto(g.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Channels' }).click();
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
  }

  /** The QR image's src as the page shows it now ('' while none is shown). */
  const shownQr = (page: Page) => page.evaluate(() => document.querySelector<HTMLImageElement>('[data-testid="whatsapp-qr"]')?.src ?? '');

  it('links WhatsApp from the page: the QR of the injected Baileys socket renders, follows a new QR, then the linked state shows; logout unlinks', async () => {
    const wa: FakeWaNetwork = fakeWaNetwork();
    gw = await startUiGateway({ assetsDir: ui.assetsDir, channels: { definitions: [whatsappChannelDefinition({ socketFactory: wa.factory })] } });
    const page = await ui.newPage();
    await openChannels(page, gw);
    const whatsapp = page.getByRole('region', { name: 'WhatsApp' });
    await whatsapp.getByText('No WhatsApp account is linked yet.').waitFor();
    expect(await whatsapp.locator('.wa-state').textContent()).toContain('not linked');

    // Keyboard only: focus the button and press Enter.
    const link = page.getByRole('button', { name: 'Link WhatsApp account default with a QR code' });
    await link.focus();
    await page.keyboard.press('Enter');
    const qr = page.getByRole('img', { name: 'QR code to link WhatsApp account default' });
    await qr.waitFor();
    // Exactly the QR of what the socket emitted, drawn as an image the browser could decode.
    expect(await shownQr(page)).toBe(qrDataUrl('QR-1'));
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    expect(await page.getByRole('status').filter({ hasText: 'Scan this QR code in WhatsApp' }).count()).toBeGreaterThan(0);
    await screenshot(page, 'channels-whatsapp-qr-1440');
    await expectNoAxeViolations(page, {}, 'Channels with a WhatsApp QR');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectNoAxeViolations(page, {}, 'Channels with a WhatsApp QR, dark scheme');
    await screenshot(page, 'channels-whatsapp-qr-dark-1440');

    // WhatsApp rotates the code on the same socket: the page follows.
    const socket = await wa.socket(0);
    socket.showQr('QR-2');
    await expect.poll(() => shownQr(page), { timeout: 15_000 }).toBe(qrDataUrl('QR-2'));
    expect(qrDataUrl('QR-2')).not.toBe(qrDataUrl('QR-1'));

    // The phone scans; Baileys asks for a restart and the next socket opens with the credentials.
    socket.scan(ME);
    await page.getByRole('status').filter({ hasText: 'Linked! WhatsApp is connected' }).waitFor({ timeout: 15_000 });
    expect(await shownQr(page)).toBe('');
    await expect.poll(() => whatsapp.locator('.wa-state').textContent(), { timeout: 15_000 }).toMatch(/^linked connected as \+15551234567/);
    await expect.poll(() => whatsapp.locator('tbody tr', { hasText: 'default' }).textContent()).toContain('+15551234567');
    expect(await whatsapp.locator('tbody tr', { hasText: 'default' }).textContent()).toContain('linked');
    await screenshot(page, 'channels-whatsapp-linked-1440');

    // Logout asks once more, then ends the session on the phone too.
    await page.getByRole('button', { name: 'Log out WhatsApp account default' }).click();
    await page.getByRole('button', { name: 'Confirm log out of WhatsApp account default' }).click();
    await page.getByRole('status').filter({ hasText: 'Logged out' }).waitFor();
    expect(wa.sockets[1]!.loggedOut).toBe(true);
    await expect.poll(() => whatsapp.locator('.wa-state').textContent()).toContain('not linked');
    await page.getByRole('button', { name: 'Link WhatsApp account default with a QR code' }).waitFor();
  }, 90_000);

  it('shows a failed login where it happened, with the method and the message', async () => {
    const wa = fakeWaNetwork();
    gw = await startUiGateway({ assetsDir: ui.assetsDir, channels: { definitions: [whatsappChannelDefinition({ socketFactory: wa.factory })] } });
    const page = await ui.newPage();
    await openChannels(page, gw);
    await page.getByRole('button', { name: 'Link WhatsApp account default with a QR code' }).click();
    await page.getByRole('img', { name: 'QR code to link WhatsApp account default' }).waitFor();
    // Nobody scans: WhatsApp gives up on the QR codes.
    (await wa.socket(0)).drop(408, 'QR refs attempts ended');
    const alert = page.getByRole('region', { name: 'WhatsApp' }).getByRole('alert');
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toMatch(/^web\.login\.wait failed: .*QR code expired/);
    expect(await shownQr(page)).toBe('');
    await page.getByRole('button', { name: 'Link WhatsApp account default with a QR code' }).waitFor();
  }, 90_000);

  it('shows Telegram status and lets an operator approve a DM pairing request, at phone width', async () => {
    const stub = await new BotApiStub().start();
    stubs.push(stub);
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: { channels: { telegram: { botToken: stub.token, apiRoot: stub.apiRoot, dmPolicy: 'pairing' } } },
    });
    const g = gw;
    const page = await ui.newPage({ width: 390, height: 844 });
    await openChannels(page, g);
    const telegram = page.getByRole('region', { name: 'Telegram' });
    await expect.poll(() => telegram.locator('tbody tr', { hasText: 'default' }).textContent(), { timeout: 15_000 }).toContain('@claw_bot');
    expect(await telegram.locator('tbody tr').textContent()).toContain('polling');
    expect(await telegram.locator('tbody tr').textContent()).toContain('connected');

    stub.pushMessage({ text: 'let me in', fromId: 500, firstName: 'Eve' });
    stub.pushMessage({ text: 'me too', fromId: 501, firstName: 'Mallory' });
    const pairing = page.getByRole('region', { name: 'DM pairing requests' });
    await pairing.getByRole('button', { name: 'Approve Eve on telegram' }).waitFor({ timeout: 15_000 });
    await pairing.getByRole('button', { name: 'Dismiss Mallory on telegram' }).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshot(page, 'channels-telegram-pairing-390');
    await expectNoAxeViolations(page, {}, 'Channels at 390px');

    await pairing.getByRole('button', { name: 'Approve Eve on telegram' }).click();
    await page.getByRole('status').filter({ hasText: 'Approved Eve' }).waitFor();
    const allowed = JSON.parse(await readFile(join(g.stateDir, 'credentials/telegram-allowFrom.json'), 'utf8'));
    expect(Object.keys(allowed)).toEqual(['500']);

    // Someone else answered Mallory meanwhile: the page's stale Dismiss fails where it was clicked.
    const operator = await startOperator(`ws://127.0.0.1:${g.port}`);
    clients.push(operator);
    const list = await operator.call('channels.pairing.list', {});
    const mallory = list.requests.find((r) => r.senderId === '501')!;
    await operator.call('channels.pairing.approve', { channel: 'telegram', accountId: mallory.accountId, requestId: mallory.requestId });
    await pairing.getByRole('button', { name: 'Dismiss Mallory on telegram' }).click();
    const alert = pairing.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(`channels.pairing.dismiss failed: unknown or expired pairing code for telegram: ${mallory.requestId}`);
    await screenshot(page, 'channels-pairing-error-390');
  }, 90_000);
});
