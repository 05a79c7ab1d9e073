import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN } from '../helpers/connect.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, type UiGateway, useBrowser } from './harness.js';
import { presenceService } from '../../lib/services.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/**
 * A page on another origin (another port) that tries to drive the gateway with the right token:
 * it records whether the socket opened and what the gateway said.
 */
function attackerPage(gatewayPort: number): string {
  return `<!doctype html><title>elsewhere</title><script>
    window.result = new Promise((resolve) => {
      const seen = [];
      const ws = new WebSocket('ws://127.0.0.1:${gatewayPort}/');
      ws.onopen = () => seen.push('open');
      ws.onmessage = (e) => {
        const frame = JSON.parse(e.data);
        seen.push(frame.event || (frame.ok ? 'hello-ok' : 'refused'));
        if (frame.event === 'connect.challenge') {
          ws.send(JSON.stringify({ type: 'req', id: '1', method: 'connect', params: {
            minProtocol: 3, maxProtocol: 4, auth: { token: ${JSON.stringify(TOKEN)} },
            client: { id: 'webchat', mode: 'webchat', version: '1', platform: 'web' } } }));
        }
        // A copy: frames arriving before the test reads the result (presence) must not show up in it.
        if (frame.type === 'res') resolve(seen.slice());
      };
      ws.onclose = (e) => { seen.push('close ' + e.code); resolve(seen.slice()); };
    });
  </script>`;
}

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: origin checks and sign-in', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway | undefined;
  let elsewhere: Server;
  let elsewherePort: number;

  beforeEach(async () => {
    page = await ui.newPage();
    elsewhere = createServer((req, res) => {
      const port = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('gateway'));
      res.writeHead(200, { 'content-type': 'text/html' }).end(attackerPage(port));
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    elsewherePort = (elsewhere.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await new Promise((resolve) => elsewhere.close(resolve));
  });

  it('a page on another origin cannot open the gateway socket, even holding the token', async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
    await page.goto(`http://127.0.0.1:${elsewherePort}/?gateway=${gw.port}`);
    expect(await page.evaluate('window.result')).toEqual(['close 1006']);
    await page.goto(`http://localhost:${elsewherePort}/?gateway=${gw.port}`);
    expect(await page.evaluate('window.result')).toEqual(['close 1006']);
    // Nothing reached the gateway: only its own presence entry exists.
    expect(gw.runtime.gateway!.service(presenceService).list().map((p) => p.reason)).toEqual(['self']);
  });

  it('an origin listed in gateway.controlUi.allowedOrigins may connect', async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir, config: { gateway: { controlUi: { allowedOrigins: [`http://127.0.0.1:${elsewherePort}`] } } } });
    await page.goto(`http://127.0.0.1:${elsewherePort}/?gateway=${gw.port}`);
    expect(await page.evaluate('window.result')).toEqual(['open', 'connect.challenge', 'hello-ok']);
  });

  it('a wrong token in the link shows a clear error and the token form; the right token then connects', async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
    await page.goto(`${gw.origin}/#token=wrong-token`);
    const error = page.getByTestId('auth-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(
      'Sign-in failed: unauthorized: gateway token mismatch (open the dashboard URL with the token, or paste the token in the Control UI settings)',
    );
    expect(page.url()).toBe(`${gw.origin}/`);
    expect(await page.getByTestId('connection').textContent()).toBe('Not signed in');
    await screenshot(page, 'sign-in-wrong-token-1440');
    await page.setViewportSize({ width: 375, height: 800 });
    await screenshot(page, 'sign-in-wrong-token-375');

    await page.getByLabel('Gateway token').fill(TOKEN);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  });

  it('without a token it asks for one; URL parameters cannot send the UI (or its token) elsewhere', async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await page.goto(`${gw.origin}/?gatewayUrl=ws://127.0.0.1:${elsewherePort}&url=ws://evil.example/`);
    await page.getByLabel('Gateway token').waitFor();
    expect(sockets).toEqual([]);

    await page.goto(`${gw.origin}/chat?gatewayUrl=ws://127.0.0.1:${elsewherePort}#token=${TOKEN}&gatewayUrl=ws://evil.example/`);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.every((url) => url === `ws://127.0.0.1:${gw!.port}/`)).toBe(true);
    expect(page.url()).toBe(`${gw.origin}/chat?gatewayUrl=ws://127.0.0.1:${elsewherePort}#gatewayUrl=ws%3A%2F%2Fevil.example%2F`);
  });
});
