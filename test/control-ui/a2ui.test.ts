import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildA2ui } from '../../scripts/build-a2ui.js';
import { findFreePort } from '../bin/helpers.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, launchBrowser, removeTempDirs, screenshot, startUiGateway, tempDir, type UiGateway } from './harness.js';
import { ModelStandIn } from './model-stand-in.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/a2ui/order-button.jsonl');
const STATUS_EVENT = 'openclaw:a2ui-action-status';

describe.skipIf(!HAS_CHROMIUM)('A2UI page in a real browser: a canvas surface whose button reaches the agent', () => {
  let browser: Browser;
  let a2uiDir: string;
  let jsonl: string;
  let gw: UiGateway;
  let model: ModelStandIn;
  let canvasPort: number;
  let page: Page;
  /** Content-Security-Policy violations and page errors: the page must run under its own strict policy. */
  let problems: string[];

  beforeAll(async () => {
    a2uiDir = (await buildA2ui({ outDir: join(await tempDir('openclaw-a2ui-'), 'a2ui') })).outDir;
    jsonl = await readFile(FIXTURE, 'utf8');
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await removeTempDirs();
  });

  beforeEach(async () => {
    model = new ModelStandIn();
    model.script = ['Order confirmed.'];
    await model.start();
    canvasPort = await findFreePort();
    gw = await startUiGateway({
      assetsDir: await tempDir('openclaw-no-control-ui-'),
      a2uiAssetsDir: a2uiDir,
      config: {
        canvasHost: { port: canvasPort },
        models: { providers: { standin: { baseUrl: model.baseUrl, api: 'openai-completions', apiKey: 'sk-stand-in' } } },
        agents: { defaults: { model: 'standin/stand-in-1', workspace: await tempDir('openclaw-a2ui-workspace-') } },
      },
    });
    page = await (await browser.newContext({ viewport: { width: 800, height: 600 } })).newPage();
    problems = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
  });

  afterEach(async () => {
    await page?.context().close();
    await gw?.stop();
    await model?.close();
  });

  async function open(origin: string): Promise<void> {
    await page.goto(`${origin}/__openclaw__/a2ui/#token=${encodeURIComponent(gw.token)}`);
    await page.locator('html[data-a2ui-ready="true"]').waitFor();
  }

  it('renders the JSONL fixture, and a click runs the agent with upstream’s CANVAS_A2UI message', async () => {
    await open(gw.origin);
    // The token left the address bar as soon as the page read it.
    expect(page.url()).toBe(`${gw.origin}/__openclaw__/a2ui/`);
    await page.getByRole('status').filter({ hasText: 'Waiting for the agent' }).waitFor();

    const pushed = await page.evaluate((text) => window.openclawA2UI!.pushJSONL({ jsonl: text }), jsonl);
    expect(pushed).toEqual({ ok: true, surfaces: ['main'] });
    await page.getByRole('heading', { name: 'Your order', level: 2 }).waitFor();
    const button = page.getByRole('button', { name: 'Confirm order' });
    await button.waitFor();
    await screenshot(page, 'a2ui-surface-800');

    const status = page.evaluate(
      (name) => new Promise<unknown>((done) => window.addEventListener(name, (e) => done((e as CustomEvent).detail), { once: true })),
      STATUS_EVENT,
    );
    await button.click();
    expect(await status).toMatchObject({ ok: true, error: '' });

    // The gateway turned the click into an agent run in session main: the model got the action line.
    await expect.poll(() => model.requests.length).toBe(1);
    const last = model.requests[0]!.body.messages?.at(-1);
    expect(last?.role).toBe('user');
    const text = JSON.stringify(last?.content);
    expect(text).toContain('CANVAS_A2UI action=confirm_order session=main surface=main component=confirm host=- instance=-');
    expect(text).toContain('ctx={\\"item\\":\\"flat white\\",\\"qty\\":2} default=update_canvas');
    expect(problems).toEqual([]);
  });

  it('is served by the canvas host too, and its clicks go back to that origin', async () => {
    const canvasOrigin = `http://127.0.0.1:${canvasPort}`;
    await open(canvasOrigin);
    await page.evaluate(() => window.openclawA2UI!.configure({ sessionKey: 'canvas-test', host: 'Test Laptop', instanceId: 'lap-1' }));
    expect(await page.evaluate((text) => window.openclawA2UI!.pushJSONL(text), jsonl)).toEqual({ ok: true, surfaces: ['main'] });
    await page.getByRole('button', { name: 'Confirm order' }).click();
    await expect.poll(() => model.requests.length).toBe(1);
    expect(JSON.stringify(model.requests[0]!.body.messages?.at(-1)?.content)).toContain(
      'CANVAS_A2UI action=confirm_order session=canvas-test surface=main component=confirm host=Test_Laptop instance=lap-1',
    );
    expect(problems).toEqual([]);
  });

  it('takes the push and reset commands as the node carries them, and refuses v0.9 without changing the canvas', async () => {
    await open(gw.origin);
    const messages = jsonl.trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(await page.evaluate((m) => window.openclawA2UI!.push({ messages: m }), messages)).toEqual({ ok: true, surfaces: ['main'] });
    await page.getByRole('button', { name: 'Confirm order' }).waitFor();

    const v09 = await page.evaluate(() => window.openclawA2UI!.pushJSONL('{"version":"v0.9","createSurface":{"surfaceId":"x","catalogId":"c"}}'));
    expect(v09).toMatchObject({ ok: false });
    expect((v09 as { error: string }).error).toContain('v0.8 only');
    expect(await page.evaluate(() => window.openclawA2UI!.getSurfaces())).toEqual(['main']);

    const removed = await page.evaluate(() => window.openclawA2UI!.applyMessages([{ deleteSurface: { surfaceId: 'main' } }]));
    expect(removed).toEqual({ ok: true, surfaces: [] });
    await page.getByRole('status').filter({ hasText: 'Waiting for the agent' }).waitFor();

    await page.evaluate((m) => window.openclawA2UI!.applyMessages(m), messages);
    await page.getByRole('button', { name: 'Confirm order' }).waitFor();
    expect(await page.evaluate(() => window.openclawA2UI!.reset())).toEqual({ ok: true, surfaces: [] });
    expect(await page.getByRole('button').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('reports a refused action to the page when it has no credentials', async () => {
    await page.goto(`${gw.origin}/__openclaw__/a2ui/`);
    await page.locator('html[data-a2ui-ready="true"]').waitFor();
    await page.evaluate((text) => window.openclawA2UI!.pushJSONL(text), jsonl);
    const status = page.evaluate(
      (name) => new Promise<unknown>((done) => window.addEventListener(name, (e) => done((e as CustomEvent).detail), { once: true })),
      STATUS_EVENT,
    );
    await page.getByRole('button', { name: 'Confirm order' }).click();
    expect(await status).toMatchObject({ ok: false, error: 'Unauthorized' });
    expect(model.requests).toHaveLength(0);
    // The browser logs the 401 itself; nothing else went wrong.
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });
});

// The page's global API, as the test (and a node's webview) sees it.
declare global {
  interface Window {
    openclawA2UI?: import('../../control-ui/a2ui/main.js').OpenClawA2uiApi;
  }
}
