import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, tempDir, type UiGateway, useBrowser } from './harness.js';
import { HOLD, ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI in a real browser: WebChat against a local model stand-in', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;
  let model: ModelStandIn;

  beforeEach(async () => {
    model = new ModelStandIn();
    await model.start();
    gw = await startUiGateway({
      assetsDir: ui.assetsDir,
      config: {
        models: { providers: { standin: { baseUrl: model.baseUrl, api: 'openai-completions', apiKey: 'sk-stand-in' } } },
        agents: { defaults: { model: 'standin/stand-in-1', workspace: await tempDir('openclaw-ui-workspace-') } },
      },
    });
    page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('Session').waitFor();
  });

  afterEach(async () => {
    await gw?.stop();
    await model?.close();
  });

  const reply = () => page.locator('.bubble-assistant').last();

  it('sends a message and shows the reply as it streams, then the history after a reload', async () => {
    // Deltas are throttled (protocol §7.5), so the part before HOLD arrives as one chunk.
    model.script = ['Hello from the stand-in', HOLD, ', all done.'];
    await page.getByLabel('Message').fill('Hi there');
    await page.getByLabel('Message').press('Enter');

    // Half the reply is on screen while the model is still holding the rest back.
    await expect.poll(() => reply().textContent()).toContain('Hello from the stand-in');
    expect(await reply().getAttribute('data-state')).toBe('delta');
    expect(await page.getByRole('button', { name: 'Abort' }).isEnabled()).toBe(true);
    await screenshot(page, 'chat-streaming-1440');
    expect(model.requests[0]!.body.messages?.at(-1)).toMatchObject({ role: 'user' });
    expect(JSON.stringify(model.requests[0]!.body.messages?.at(-1)?.content)).toContain('Hi there');

    model.release();
    await expect.poll(() => reply().getAttribute('data-state')).toBe('final');
    expect(await reply().locator('.bubble-text').textContent()).toBe('Hello from the stand-in, all done.');
    expect(await page.getByRole('button', { name: 'Abort' }).isDisabled()).toBe(true);
    await screenshot(page, 'chat-1440');

    await page.reload();
    await page.locator('.bubble-user', { hasText: 'Hi there' }).waitFor();
    await page.locator('.bubble-assistant', { hasText: 'Hello from the stand-in, all done.' }).waitFor();
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'chat-375');
  });

  it('aborts a running reply: the run stops upstream and the transcript says so', async () => {
    model.script = ['Let me think about that', HOLD, ' for a long time'];
    await page.getByLabel('Message').fill('Tell me a long story');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => reply().textContent()).toContain('Let me think about that');

    await page.getByRole('button', { name: 'Abort' }).click();
    await expect.poll(() => reply().getAttribute('data-state')).toBe('aborted');
    expect(await reply().locator('.bubble-meta').textContent()).toContain('aborted');
    await model.requests[0]!.aborted;
    expect(await reply().locator('.bubble-text').textContent()).not.toContain('for a long time');
    expect(await page.getByRole('button', { name: 'Abort' }).isDisabled()).toBe(true);
    await screenshot(page, 'chat-aborted-1440');
  });
});
