import type { Browser } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { findFreePort } from '../bin/helpers.js';
import { startOperator } from '../helpers/nodes.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, buildAssets, launchBrowser, removeTempDirs, screenshot, startUiGateway, type UiGateway } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/**
 * A browser on another machine: it reaches the gateway as `ui.test` (resolved to 127.0.0.1 by the
 * browser, treated as a secure context so it has a device key), which is not a local peer, so its
 * device must be approved before it gets in (protocol §3.3 step 7).
 */
describe.skipIf(!HAS_CHROMIUM)('Control UI from a browser elsewhere (device pairing)', () => {
  let browser: Browser | undefined;
  let gw: UiGateway | undefined;
  let operator: GatewayClient | undefined;

  afterEach(async () => {
    operator?.close();
    await browser?.close();
    await gw?.stop();
  });

  afterAll(removeTempDirs);

  it('waits for approval with the request shown, then connects on its own once approved', async () => {
    const port = await findFreePort();
    const origin = `http://ui.test:${port}`;
    gw = await startUiGateway({ assetsDir: await buildAssets(), port, config: { gateway: { controlUi: { allowedOrigins: [origin] } } } });
    browser = await launchBrowser(['--host-resolver-rules=MAP ui.test 127.0.0.1', `--unsafely-treat-insecure-origin-as-secure=${origin}`]);
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${origin}/#token=${gw.token}`);
    expect(await page.evaluate(() => isSecureContext)).toBe(true);

    const waiting = page.getByRole('alert').filter({ hasText: 'This browser is waiting for approval' });
    await waiting.waitFor();
    expect(await page.getByTestId('connection').textContent()).toBe('Waiting for approval');
    await screenshot(page, 'pairing-wait-1440');

    operator = await startOperator(`ws://127.0.0.1:${port}`);
    const { pending } = await operator.call('device.pair.list');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ clientId: 'openclaw-control-ui', clientMode: 'ui', role: 'operator', scopes: ['operator.admin'] });
    expect(await waiting.textContent()).toContain(`openclaw devices approve ${pending[0]!.requestId}`);
    await operator.call('device.pair.approve', { requestId: pending[0]!.requestId });

    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  });
});
