import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, SKIP_MESSAGE, startUiGateway, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI across a gateway restart', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;

  beforeEach(async () => {
    // The file watcher is off, so only the restart can make the gateway (and the page) see an edit.
    gw = await startUiGateway({ assetsDir: ui.assetsDir, config: { gateway: { reload: { mode: 'off' } } } });
    page = await ui.newPage();
  });

  afterEach(async () => {
    await gw?.stop();
  });

  it('reconnects by itself after the runtime restarts under the page, and the current view reloads what it shows', async () => {
    await page.goto(`${gw.dashboardUrl.replace(/\/#/, '/config#')}`);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    expect(page.url()).toBe(`${gw.origin}/config`);
    const hash = page.getByTestId('config-hash');
    const fileHash = async () => createHash('sha256').update(await readFile(gw.configPath, 'utf8')).digest('hex').slice(0, 12);
    await expect.poll(() => hash.textContent()).toBe(await fileHash());

    const config = JSON.parse(await readFile(gw.configPath, 'utf8')) as Record<string, any>;
    await writeFile(gw.configPath, `${JSON.stringify({ ...config, logging: { level: 'warn' } }, null, 2)}\n`, { mode: 0o600 });
    const changed = await fileHash();
    // Nothing told the page yet: it still shows the version it loaded.
    expect(await hash.textContent()).not.toBe(changed);

    await gw.runtime.restart('test restart');
    await page.getByText('The gateway restarted; reconnected and refreshed.').waitFor();
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await expect.poll(() => hash.textContent()).toBe(changed);
    expect(gw.runtime.config.logging?.level).toBe('warn');
    // The token never came back into the address bar through the reconnect.
    expect(page.url()).toBe(`${gw.origin}/config`);
  });
});
