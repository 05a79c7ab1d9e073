import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { V4FrameChecker } from '../helpers/v4-conformance.js';
import { HAS_CHROMIUM, startUiGateway, useBrowser, type UiGateway } from './harness.js';
import { HOLD, ModelStandIn } from './model-stand-in.js';
import { upstreamControlUi } from './upstream-control-ui.js';

/** The Control UI of today's upstream release: protocol 4, the client users switching to us run. */
const TODAY_VERSION = '2026.9.6';

interface Wire {
  checker: V4FrameChecker;
  /** Every failed response the page got, as `method: message`. */
  failures: string[];
  /** Events the page received, by name. */
  events: string[];
}

/**
 * Records the page's WebSocket traffic: each frame the gateway sends is checked against
 * upstream's published v4 schema, and every refused request is kept.
 */
function watchWire(page: Page): Wire {
  const wire: Wire = { checker: new V4FrameChecker(), failures: [], events: [] };
  const methods = new Map<string, string>();
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      const frame = JSON.parse(String(payload)) as { type: string; id: string; method: string };
      if (frame.type === 'req') methods.set(frame.id, frame.method);
      wire.checker.sent(frame);
    });
    ws.on('framereceived', ({ payload }) => {
      const frame = JSON.parse(String(payload));
      wire.checker.received(frame);
      if (frame.type === 'res' && !frame.ok) wire.failures.push(`${methods.get(frame.id)}: ${frame.error?.message}`);
      if (frame.type === 'event') wire.events.push(frame.event);
    });
  });
  return wire;
}

describe.skipIf(!HAS_CHROMIUM)(`upstream OpenClaw ${TODAY_VERSION} Control UI (protocol 4) against this gateway`, () => {
  const suite = useBrowser();

  async function start(): Promise<{ gw: UiGateway; model: ModelStandIn; close: () => Promise<void> }> {
    const root = await upstreamControlUi(TODAY_VERSION);
    const model = new ModelStandIn();
    await model.start();
    const gw = await startUiGateway({
      assetsDir: suite.assetsDir,
      config: {
        gateway: { controlUi: { root } },
        models: { providers: { local: { baseUrl: model.baseUrl, api: 'openai-completions', models: [{ id: 'demo', name: 'Demo' }] } } },
        agents: { defaults: { model: 'local/demo' } },
      },
    });
    return {
      gw,
      model,
      close: async () => {
        await gw.stop();
        await model.close();
      },
    };
  }

  it('connects, loads its home view without errors, streams a chat round trip, and fills the session list and model picker', async () => {
    const { gw, model, close } = await start();
    try {
      const page = await suite.newPage();
      const wire = watchWire(page);
      await page.goto(`${gw.origin}/#token=${encodeURIComponent(gw.token)}`);
      const composer = page.getByPlaceholder('Message Assistant');
      await composer.waitFor({ timeout: 20_000 });
      await expect.poll(() => page.locator('body').innerText(), { timeout: 10_000 }).toContain('Demo');
      const home = await page.locator('body').innerText();
      expect(home).not.toMatch(/unknown method|No AI provider configured|Models unavailable|Retry/);

      model.script = ['Hello', ' there', HOLD, ' friend'];
      await composer.fill('hi from today');
      await composer.press('Enter');
      // Held mid-reply: the page shows what has streamed so far.
      await page.getByText('Hello there', { exact: false }).first().waitFor({ timeout: 15_000 });
      expect(await page.locator('body').innerText()).not.toContain('Hello there friend');
      model.release();
      await page.getByText('Hello there friend').first().waitFor({ timeout: 15_000 });
      expect(wire.events).toEqual(expect.arrayContaining(['chat', 'session.message', 'sessions.changed']));

      // The session list (sessions.list, then sessions.changed) holds the session the chat wrote to.
      await expect.poll(() => page.locator('body').innerText(), { timeout: 10_000 }).toContain('hi from today');
      expect(wire.events).toContain('sessions.changed');
      expect(wire.failures).toEqual([]);
      expect(wire.checker.violations).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);

  it('opens its Systems and Automations views without errors', async () => {
    const { gw, close } = await start();
    try {
      const page = await suite.newPage();
      const wire = watchWire(page);
      await page.goto(`${gw.origin}/#token=${encodeURIComponent(gw.token)}`);
      await page.getByPlaceholder('Message Assistant').waitFor({ timeout: 20_000 });
      for (const view of ['Systems', 'Automations']) {
        await page.getByRole('link', { name: view }).first().click();
        await expect.poll(() => page.url(), { timeout: 10_000 }).toMatch(new RegExp(view.toLowerCase()));
        // The view's requests are answered before it is judged; none may fail.
        await expect.poll(() => page.locator('main').first().innerText(), { timeout: 15_000 }).toContain(view);
        await page.waitForLoadState('networkidle');
        const text = await page.locator('main').first().innerText();
        expect(text, view).not.toMatch(/unknown method|failed to load/i);
      }
      expect(wire.failures).toEqual([]);
      expect(wire.checker.violations).toEqual([]);
    } finally {
      await close();
    }
  }, 90_000);
});
