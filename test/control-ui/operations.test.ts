import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN } from '../helpers/connect.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, type UiGateway, useBrowser } from './harness.js';
import { presenceService } from '../../lib/services.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/** Opens a socket with a wrong token: the gateway refuses it and writes `connect refused` to its log. */
async function refusedConnect(port: number): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { event?: string };
    if (frame.event !== 'connect.challenge') return;
    ws.send(
      JSON.stringify({
        type: 'req',
        id: '1',
        method: 'connect',
        params: { minProtocol: 3, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token: 'nope' } },
      }),
    );
  });
  await new Promise((resolve) => ws.once('close', resolve));
}

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: logs, config, restarts', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;

  beforeEach(async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir, config: { gateway: { reload: { debounceMs: 50 } } } });
    page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  });

  afterEach(async () => {
    await gw?.stop();
  });

  it('tails the file log live, and pausing holds new lines back until resumed', async () => {
    await page.getByRole('link', { name: 'Logs' }).click();
    const lines = page.getByRole('log', { name: 'Log lines' });
    await lines.getByText('listening on ws://127.0.0.1').waitFor();

    await refusedConnect(gw.port);
    await lines.getByText('connect refused').first().waitFor();
    const refusedBefore = await lines.getByText('connect refused').count();

    await page.getByRole('button', { name: 'Pause' }).click();
    expect(await page.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed')).toBe('true');
    await refusedConnect(gw.port);
    // The line is in the file (the RPC sees it) but not on screen while paused. The wrong tokens
    // above block this address briefly (the brute-force backoff), so the operator waits that out.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const client = await import('../helpers/nodes.js').then((m) => m.startOperator(`ws://127.0.0.1:${gw.port}`));
    await expect.poll(async () => (await client.call('logs.tail', {})).lines.filter((l) => l.includes('connect refused')).length).toBe(refusedBefore + 1);
    client.close();
    expect(await lines.getByText('connect refused').count()).toBe(refusedBefore);

    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => lines.getByText('connect refused').count()).toBe(refusedBefore + 1);
    await screenshot(page, 'logs-1440');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'logs-375');
  });

  it('shows the config with secrets hidden and saves a hot-reloadable change after schema validation', async () => {
    await page.getByRole('link', { name: 'Config' }).click();
    await page.getByRole('button', { name: 'Raw JSON5' }).click();
    const editor = page.getByLabel('Config file (JSON5)');
    await expect.poll(() => editor.inputValue()).toContain('__OPENCLAW_REDACTED__');
    expect(await editor.inputValue()).not.toContain(TOKEN);
    expect(await page.getByLabel('Effective config', { exact: true }).textContent()).not.toContain(TOKEN);
    expect(await page.getByRole('button', { name: 'Review changes' }).isDisabled()).toBe(true);

    const config = JSON.parse(await editor.inputValue()) as Record<string, any>;
    await editor.fill(JSON.stringify({ ...config, logging: { level: 'loud' } }, null, 2));
    await page.getByText('The edited config does not validate').waitFor();
    expect(await page.getByTestId('config-check').textContent()).toContain('/logging/level');
    await page.getByRole('button', { name: 'Review changes' }).click();
    await page.getByText('Fix these before applying').waitFor();
    expect(await page.getByRole('button', { name: 'Save only (live reload)' }).isDisabled()).toBe(true);
    await screenshot(page, 'config-invalid-1440');

    await editor.fill(JSON.stringify({ ...config, logging: { level: 'debug' } }, null, 2));
    await page.getByText('Matches the config schema.').waitFor();
    const reloaded = new Promise((resolve) => gw.runtime.on('reload', resolve));
    let restarted = false;
    gw.runtime.on('restarted', () => (restarted = true));
    await page.getByRole('button', { name: 'Save only (live reload)' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const reload = (await reloaded) as { applied: string; plan: { restartGateway: boolean } };
    expect(reload.plan.restartGateway).toBe(false);
    expect(restarted).toBe(false);
    expect(gw.runtime.config.logging?.level).toBe('debug');
    // The redacted token went back as the sentinel and the gateway kept the stored one.
    expect(JSON.parse(await readFile(gw.configPath, 'utf8')).gateway.auth.token).toBe(TOKEN);
    expect(await page.getByTestId('connection').textContent()).toContain('Connected');
    await screenshot(page, 'config-1440');
  });

  it('applies a config that needs a restart, then reconnects by itself and says so', async () => {
    await page.getByRole('link', { name: 'Config' }).click();
    await page.getByRole('button', { name: 'Raw JSON5' }).click();
    const editor = page.getByLabel('Config file (JSON5)');
    await expect.poll(() => editor.inputValue()).toContain('__OPENCLAW_REDACTED__');
    const config = JSON.parse(await editor.inputValue()) as Record<string, any>;
    config.gateway.controlUi = { allowedOrigins: ['https://ops.example.com'] };
    await editor.fill(JSON.stringify(config, null, 2));
    await page.getByText('Matches the config schema.').waitFor();
    const restarted = new Promise((resolve) => gw.runtime.on('restarted', resolve));
    await page.getByRole('button', { name: 'Review changes' }).click();
    await page.getByRole('button', { name: 'Apply & restart' }).click();
    await page.getByRole('status').filter({ hasText: 'restarts in' }).waitFor();
    await restarted;
    await page.getByText('The gateway restarted; reconnected and refreshed.').waitFor();
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    expect(gw.runtime.config.gateway?.controlUi?.allowedOrigins).toEqual(['https://ops.example.com']);
    await screenshot(page, 'config-restarted-1440');
  });

  it('refreshes what it shows when it notices missed events (a seq gap)', async () => {
    await page.getByRole('link', { name: 'Presence' }).click();
    await page.getByRole('heading', { name: 'Presence', level: 1 }).waitFor();
    const gateway = gw.runtime.gateway!;
    // An event operators never see (node-only scope): the next broadcast reaches the browser with
    // a seq it did not expect, and the refresh it triggers shows the new presence entry.
    gateway.service(presenceService).upsert('quiet-box', { host: 'Quiet Box', mode: 'backend', reason: 'connect' });
    gateway.broadcast('node.invoke.request', { id: 'x', nodeId: 'nobody', command: 'noop', paramsJSON: null });
    await gateway.call('health', { probe: true });
    await page.getByText('Some live updates were missed; refreshed.').waitFor();
    await page.locator('tr', { hasText: 'Quiet Box' }).waitFor();
  });

  it('keeps retrying while the gateway is down and reconnects when it is back', async () => {
    const port = gw.port;
    await gw.stop();
    await page.getByText(/Lost the gateway: the gateway stopped \(gateway stopping\)\. Reconnecting \(attempt [2-9]\)/).waitFor();
    expect(await page.getByTestId('connection').textContent()).toBe('Reconnecting…');
    await screenshot(page, 'reconnecting-1440');
    gw = await startUiGateway({ assetsDir: ui.assetsDir, port });
    await page.getByText('The gateway restarted; reconnected and refreshed.').waitFor();
    expect(await page.getByTestId('connection').textContent()).toContain('Connected');
  });

  it('reconnects after the gateway restarts in process and shows what happened', async () => {
    await gw.runtime.restart('test restart');
    await page.getByText('The gateway restarted; reconnected and refreshed.').waitFor();
    expect(await page.getByTestId('connection').textContent()).toContain('Connected');
  });
});
