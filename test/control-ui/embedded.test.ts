import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../lib/gateway.js';
import { createControlUiRoute } from '../../control-ui/control-ui-route.js';
import { HttpRouter } from '../../transports/http.js';
import { createOriginVerifier } from '../../transports/origin-verifier.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { TOKEN } from '../helpers/connect.js';
import { createTestGateway } from '../transports/contract.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/**
 * The Control UI on a bare embedded Gateway (core methods only, no chat/logs/config): a host can
 * mount the route and the origin check itself, and the views it cannot serve say so.
 */
describe.skipIf(!HAS_CHROMIUM)('Control UI on an embedded core Gateway', () => {
  const ui = useBrowser();
  let page: Page;
  let gateway: Gateway;
  let transport: WebSocketTransport;
  let origin: string;

  beforeEach(async () => {
    gateway = createTestGateway();
    await gateway.start();
    const http = new HttpRouter().add(createControlUiRoute({ assetsDir: ui.assetsDir, basePath: '/control' }));
    transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1', requestHandler: http.handle, verifyOrigin: createOriginVerifier() });
    origin = `http://127.0.0.1:${(await transport.listen()).port}`;
    page = await ui.newPage();
  });

  afterEach(async () => {
    await gateway?.close();
    await transport?.close();
  });

  it('runs under a base path and marks views whose methods the gateway lacks as not available', async () => {
    await page.goto(`${origin}/control/#token=${TOKEN}`);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    expect(page.url()).toBe(`${origin}/control/`);
    await expect.poll(() => page.getByTestId('version').textContent()).toBe('9.9.9-test');

    const missing: Record<string, string> = { Chat: 'chat.send', Logs: 'logs.tail', Config: 'config.get' };
    for (const [view, method] of Object.entries(missing)) {
      expect(gateway.methods()).not.toContain(method);
      await page.getByRole('link', { name: view }).click();
      await page.getByText(`Not available on this gateway (it does not offer ${method}).`).waitFor();
      expect(page.url()).toBe(`${origin}/control/${view.toLowerCase()}`);
    }
    // The nodes view works: node.list and the pairing lists are core methods.
    await page.getByRole('link', { name: 'Nodes & devices' }).click();
    await page.getByText('No nodes are paired or connected.').waitFor();

    // Deep links under the base path load the SPA too.
    await page.goto(`${origin}/control/presence`);
    await page.getByRole('heading', { name: 'Presence', level: 1 }).waitFor();
  });
});
