import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../bin/helpers.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, buildAssets, launchBrowser, removeTempDirs, screenshot, startUiGateway, type UiGateway } from './harness.js';
import { devicesService } from '../../lib/services.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/**
 * No device identity: plain http:// under a name other than localhost is not a secure context (no
 * WebCrypto; the browser resolves `ui.test` to 127.0.0.1 to get there without a network), and
 * some browsers lack Ed25519. Both need gateway.controlUi.allowInsecureAuth and say so otherwise.
 */
describe.skipIf(!HAS_CHROMIUM)('Control UI without a device key: insecure context or no Ed25519', () => {
  let assetsDir: string;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let gw: UiGateway | undefined;

  beforeAll(async () => {
    assetsDir = await buildAssets();
    browser = await launchBrowser(['--host-resolver-rules=MAP ui.test 127.0.0.1']);
  });

  afterAll(async () => {
    await browser?.close();
    await removeTempDirs();
  });

  afterEach(async () => {
    await context?.close();
    await gw?.stop();
    gw = undefined;
  });

  async function open(allowInsecureAuth: boolean) {
    const port = await findFreePort();
    gw = await startUiGateway({
      assetsDir,
      port,
      config: { gateway: { controlUi: { allowedOrigins: [`http://ui.test:${port}`], allowInsecureAuth } } },
    });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`http://ui.test:${port}/#token=${gw.token}`);
    expect(await page.evaluate(() => isSecureContext)).toBe(false);
    return page;
  }

  it('explains that the gateway wants a secure context when allowInsecureAuth is off', async () => {
    const page = await open(false);
    const alert = page.getByRole('alert').filter({ hasText: 'secure context' });
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'control ui requires HTTPS or localhost (secure context). Open the dashboard through https:// or http://127.0.0.1, or set gateway.controlUi.allowInsecureAuth to allow token-only sign-in over plain HTTP.',
    );
    await screenshot(page, 'insecure-context-refused-1440');
  });

  it('in a browser without Ed25519 in WebCrypto, says why and falls back to the token with allowInsecureAuth', async () => {
    for (const allowInsecureAuth of [false, true]) {
      gw = await startUiGateway({ assetsDir, config: { gateway: { controlUi: { allowInsecureAuth } } } });
      context = await browser.newContext();
      // Older browsers reject the algorithm; emulate one by refusing Ed25519 key generation.
      await context.addInitScript(() => {
        const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
        crypto.subtle.generateKey = ((algorithm: AlgorithmIdentifier, ...rest: unknown[]) =>
          (typeof algorithm === 'string' ? algorithm : algorithm.name) === 'Ed25519'
            ? Promise.reject(new DOMException('Algorithm: Unrecognized name', 'NotSupportedError'))
            : (generateKey as (...a: unknown[]) => Promise<unknown>)(algorithm, ...rest)) as typeof crypto.subtle.generateKey;
      });
      const page = await context.newPage();
      await page.goto(gw.dashboardUrl);
      if (allowInsecureAuth) {
        await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
        expect(gw.runtime.gateway!.service(devicesService).listPaired()).toEqual([]);
      } else {
        const alert = page.getByRole('alert').filter({ hasText: 'could not make a device key' });
        await alert.waitFor();
        expect(await alert.textContent()).toContain('(Algorithm: Unrecognized name)');
        expect(await alert.textContent()).toContain('gateway.controlUi.allowInsecureAuth');
      }
      await context.close();
      context = undefined;
      await gw.stop();
      gw = undefined;
    }
  });

  it('signs in with the token alone when gateway.controlUi.allowInsecureAuth is on', async () => {
    const page = await open(true);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    // No device identity: the gateway paired nothing for this browser.
    expect(gw!.runtime.gateway!.service(devicesService).listPaired()).toEqual([]);
  });
});
