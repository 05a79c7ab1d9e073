import { readFile, writeFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TOKEN } from '../helpers/connect.js';
import { expectNoAxeViolations } from './axe.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI config form (config.schema + uiHints, diff, config.patch)', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;

  beforeEach(async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir, config: { gateway: { reload: { debounceMs: 50 } } } });
    page = await ui.newPage();
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Config' }).click();
    await page.locator('details[data-path="gateway"]').waitFor();
  });

  afterEach(async () => {
    await gw?.stop();
  });

  /** Opens a group or nested section of the form (and the ones around it) by its config path. */
  async function open(path: string) {
    const keys = path.split('.');
    for (let i = 1; i <= keys.length; i++) {
      const section = page.locator(`details[data-path="${keys.slice(0, i).join('.')}"]`);
      if ((await section.getAttribute('open')) === null) await section.locator('> summary').click();
    }
    return page.locator(`details[data-path="${path}"] > [role="group"]`);
  }

  async function fileConfig(): Promise<Record<string, any>> {
    return JSON.parse(await readFile(gw.configPath, 'utf8')) as Record<string, any>;
  }

  it('edits fields in the form, shows the diff, applies with config.patch, survives the restart, and the file has the values', async () => {
    const logging = await open('logging');
    const loggingSummary = page.locator('details[data-path="logging"] > summary');
    expect(await loggingSummary.innerText()).toBe('Logging · not set');
    await logging.getByLabel('Level', { exact: true }).selectOption('debug');
    expect(await loggingSummary.innerText()).toBe('Logging');
    const controlUi = await open('gateway.controlUi');
    await controlUi.getByRole('button', { name: 'Add to Allowed Origins' }).click();
    await controlUi.getByLabel('Allowed Origins 1', { exact: true }).fill('https://ops.example.com');
    await page.getByTestId('config-changes').filter({ hasText: '2 changes not applied yet.' }).waitFor();
    await screenshot(page, 'config-form-1440');

    await page.getByRole('button', { name: 'Review changes' }).click();
    const diff = page.getByTestId('config-diff');
    await expect.poll(async () => (await diff.locator('tbody tr').allTextContents()).sort()).toEqual([
      'gateway.controlUi.allowedOrigins(not set)["https://ops.example.com"]',
      'logging.level(not set)"debug"',
    ]);
    await expectNoAxeViolations(page, {}, 'the config form with its diff');
    await screenshot(page, 'config-diff-1440');

    const restarted = new Promise((resolve) => gw.runtime.on('restarted', resolve));
    await diff.getByRole('button', { name: 'Apply & restart' }).click();
    await page.getByRole('status').filter({ hasText: 'Applied. The gateway restarts in' }).waitFor();
    await restarted;
    await page.getByText('The gateway restarted; reconnected and refreshed.').waitFor();
    await page.getByText('The gateway restarted with the new config, and this page reconnected.').waitFor();
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();

    const file = await fileConfig();
    expect(file.logging).toEqual({ level: 'debug' });
    expect(file.gateway.controlUi).toEqual({ allowedOrigins: ['https://ops.example.com'] });
    // Untouched secrets were not in the patch, so the stored token is still the real one.
    expect(file.gateway.auth.token).toBe(TOKEN);
    expect(gw.runtime.config.logging?.level).toBe('debug');
    // The view reloaded from the restarted gateway: the form shows the stored values, no edits pending.
    await page.getByTestId('config-changes').filter({ hasText: 'No changes.' }).waitFor();
    expect(await (await open('logging')).getByLabel('Level', { exact: true }).inputValue()).not.toBe('');
    await screenshot(page, 'config-applied-1440');
    // A restart on a machine shared with other test files takes a while; nothing here is timed.
  }, 60_000);

  it('a file changed since the page loaded it is a conflict, shown with a reload, not an overwrite', async () => {
    const logging = await open('logging');
    await logging.getByLabel('Level', { exact: true }).selectOption('warn');
    // Another writer changes the file under the page.
    const other = await fileConfig();
    other.logging = { level: 'error' };
    await writeFile(gw.configPath, `${JSON.stringify(other, null, 2)}\n`, { mode: 0o600 });

    await page.getByRole('button', { name: 'Review changes' }).click();
    await page.getByRole('button', { name: 'Apply & restart' }).click();
    const conflict = page.getByTestId('config-conflict');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('the config file changed since this page loaded it');
    expect((await fileConfig()).logging).toEqual({ level: 'error' });
    await screenshot(page, 'config-conflict-1440');

    await conflict.getByRole('button', { name: /Reload the file/ }).click();
    await conflict.waitFor({ state: 'hidden' });
    const reloaded = await open('logging');
    const level = reloaded.getByLabel('Level', { exact: true });
    await expect.poll(async () => level.locator('option:checked').textContent()).toBe('error');
    expect(await page.getByTestId('config-changes').textContent()).toBe('No changes.');
  });

  it('masks secrets in the form and in the diff, with a reveal toggle for what is typed', async () => {
    expect(await page.content()).not.toContain(TOKEN);
    const auth = await open('gateway.auth');
    const token = auth.getByLabel('Token', { exact: true });
    expect(await token.getAttribute('type')).toBe('password');
    expect(await token.inputValue()).toBe('');
    expect(await token.getAttribute('placeholder')).toContain('stored (hidden)');

    // A new secret typed into a map entry: masked while typed, shown on request, masked in the diff.
    const models = await open('models.providers');
    await models.getByLabel('New key in Providers', { exact: true }).fill('local');
    await models.getByRole('button', { name: 'Add', exact: true }).click();
    const provider = await open('models.providers.local');
    const apiKey = provider.getByLabel('Api Key', { exact: true });
    await apiKey.fill('sk-very-secret-value');
    expect(await apiKey.getAttribute('type')).toBe('password');
    const reveal = provider.getByRole('button', { name: 'Show Api Key' });
    await reveal.click();
    expect(await apiKey.getAttribute('type')).toBe('text');
    expect(await reveal.getAttribute('aria-pressed')).toBe('true');
    await reveal.click();
    expect(await apiKey.getAttribute('type')).toBe('password');

    await page.getByRole('button', { name: 'Review changes' }).click();
    const diff = page.getByTestId('config-diff');
    await diff.locator('tbody tr').first().waitFor();
    const rows = await diff.locator('tbody tr').allTextContents();
    expect(rows.some((r) => r.startsWith('models.providers.local'))).toBe(true);
    expect(await diff.textContent()).not.toContain('sk-very-secret-value');
    expect(await diff.textContent()).toContain('••••••');
    await screenshot(page, 'config-secret-diff-1440');
  });

  it('every section of the form opened: each control labelled, ids unique, axe-clean, and nothing wider than a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    // Sections draw their fields when first opened; open until none is left closed.
    await expect
      .poll(
        () =>
          page.evaluate(() => {
            const closed = Array.from(document.querySelectorAll<HTMLDetailsElement>('.cfg-form details:not([open])'));
            for (const details of closed) details.open = true;
            return closed.length;
          }),
        { timeout: 30_000 },
      )
      .toBe(0);
    const counts = await page.evaluate(() => {
      const controls = Array.from(document.querySelectorAll<HTMLElement>('.cfg-form input, .cfg-form select, .cfg-form textarea'));
      const ids = controls.map((c) => c.id);
      return {
        controls: controls.length,
        unlabelled: controls.filter((c) => (c as HTMLInputElement).labels?.length === 0).map((c) => c.outerHTML.slice(0, 100)),
        duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
        sections: document.querySelectorAll('.cfg-form details').length,
      };
    });
    expect(counts.controls).toBeGreaterThan(150);
    expect(counts.sections).toBeGreaterThan(50);
    expect(counts.unlabelled).toEqual([]);
    expect(counts.duplicateIds).toEqual([]);
    // Long help texts (paths, URLs) wrap rather than widen the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await expectNoAxeViolations(page, { context: '.cfg-form' }, 'the whole config form at 390px');
    await screenshot(page, 'config-form-open-390');
  }, 120_000);

  it('edits in raw JSON5 mode with validation, and the form picks the edit up', async () => {
    await page.getByRole('button', { name: 'Raw JSON5' }).click();
    const editor = page.getByLabel('Config file (JSON5)');
    await expect.poll(() => editor.inputValue()).toContain('__OPENCLAW_REDACTED__');
    expect(await editor.inputValue()).not.toContain(TOKEN);
    const config = JSON.parse(await editor.inputValue()) as Record<string, any>;
    await editor.fill(JSON.stringify({ ...config, logging: { level: 'loud' } }, null, 2));
    await page.getByText('The edited config does not validate').waitFor();
    expect(await page.getByTestId('config-check').textContent()).toContain('/logging/level');

    await editor.fill(`// a comment JSON5 allows\n${JSON.stringify({ ...config, logging: { level: 'trace' } }, null, 2)}`);
    await page.getByText('Matches the config schema.').waitFor();
    await page.getByTestId('config-changes').filter({ hasText: '1 change not applied yet.' }).waitFor();
    await page.getByRole('button', { name: 'Form', exact: true }).click();
    const logging = await open('logging');
    expect(await logging.getByLabel('Level', { exact: true }).locator('option:checked').textContent()).toBe('trace');
  });
});
