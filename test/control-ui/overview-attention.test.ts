import { afterEach, describe, expect, it } from 'vitest';
import { whatsappChannelDefinition } from '../../channels/whatsapp.js';
import type { GatewayClient } from '../../lib/client/index.js';
import { fakeWaNetwork } from '../channels/fake-wa-socket.js';
import { startOperator } from '../helpers/nodes.js';
import { expectNoAxeViolations } from './axe.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: Overview says what needs attention first', () => {
  const ui = useBrowser();
  let gw: UiGateway | undefined;
  const clients: GatewayClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await gw?.stop();
    gw = undefined;
  });

  it('lists a waiting exec approval, an unlinked channel, a failing cron job and pending pairing, each linking to where it is handled', async () => {
    const wa = fakeWaNetwork();
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: { channels: { whatsapp: { dmPolicy: 'pairing' } } },
      channels: { definitions: [whatsappChannelDefinition({ socketFactory: wa.factory })] },
    });
    const operator = await startOperator(`ws://127.0.0.1:${gw.port}`);
    clients.push(operator);
    // An agent turn with no model configured fails: the job's last run is an error.
    const job = await operator.call('cron.add', { name: 'Morning brief', schedule: { kind: 'every', everyMs: 86_400_000 }, sessionTarget: 'isolated', wakeMode: 'now', payload: { kind: 'agentTurn', message: 'brief me' } });
    await operator.call('cron.run', { id: job.id, mode: 'force' });
    await expect.poll(async () => JSON.stringify((await operator.call('cron.list', {})).jobs[0]?.state), { timeout: 15_000 }).toContain('"lastStatus":"error"');

    const page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await attention.getByText('WhatsApp default is not linked').waitFor();
    expect(await page.getByRole('region', { name: 'Channels' }).locator('tbody tr', { hasText: 'WhatsApp' }).textContent()).toContain('not linked');
    await attention.getByText(/Cron job Morning brief failed its last run: ./).waitFor();
    expect(await attention.getByText('waiting for exec approval').count()).toBe(0);

    // New requests show up live, the time-bound one first.
    const asked = operator.call('exec.approval.request', { command: 'make deploy', timeoutMs: 60_000 });
    await operator.call('node.pair.request', { nodeId: 'garage-1', displayName: 'Garage' });
    await attention.getByText('1 command is waiting for exec approval').waitFor();
    await attention.getByText('1 node waits for pairing approval').waitFor();
    const items = await attention.locator('li').allTextContents();
    expect(items[0]).toMatch(/^waiting 1 command is waiting for exec approval/);
    expect(items.findIndex((t) => t.includes('not linked'))).toBeLessThan(items.findIndex((t) => t.includes('node waits')));
    await screenshot(page, 'overview-attention-1440');
    await expectNoAxeViolations(page, {}, 'Overview with items needing attention');

    // Each item leads to its view without a page load; answering there clears it here.
    await attention.getByRole('link', { name: 'Answer on Nodes & devices' }).click();
    await page.getByRole('heading', { name: 'Nodes & devices', level: 1 }).waitFor();
    expect(page.url()).toBe(`${gw.origin}/nodes`);
    await page.getByRole('article', { name: 'make deploy' }).getByRole('button', { name: 'Allow once' }).click();
    expect(await asked).toMatchObject({ decision: 'allow-once' });
    await page.goBack();
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
    await expect.poll(() => attention.getByText('waiting for exec approval').count()).toBe(0);
    await attention.getByRole('link', { name: 'Link on Channels' }).click();
    await page.getByRole('heading', { name: 'Channels', level: 1 }).waitFor();
  }, 90_000);
});
