import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { CONTROL_UI_VIEWS } from '../../control-ui/app/views.js';
import { axeViolations, expectNoAxeViolations, formatViolations } from './axe.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, startUiGateway, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

describe.skipIf(!HAS_CHROMIUM)('Control UI accessibility (axe-core in Chromium)', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;

  beforeEach(async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
    page = await ui.newPage();
  });

  afterEach(async () => {
    await gw?.stop();
  });

  /** Visits every view and fails once with all of their violations, so one run shows them all. */
  async function visitEveryView(): Promise<void> {
    const found: string[] = [];
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    for (const view of CONTROL_UI_VIEWS) {
      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: view.title, exact: true }).click();
      await page.getByRole('heading', { name: view.title, level: 1 }).waitFor();
      await page.locator(`#view[data-view="${view.id}"]`).waitFor();
      // Views fill in from their first calls; let those land before judging the page.
      await page.waitForTimeout(300);
      const violations = await axeViolations(page);
      if (violations.length) found.push(`${view.title}:\n${formatViolations(violations)}`);
    }
    if (found.length) throw new Error(`axe-core violations:\n${found.join('\n')}`);
  }

  it('the sign-in form has no axe violations', async () => {
    await page.goto(gw.origin);
    await page.getByLabel('Gateway token').waitFor();
    await expectNoAxeViolations(page, {}, 'the sign-in form');
  });

  it('every view has no axe violations (labels, roles, landmarks, contrast), light scheme', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await visitEveryView();
  });

  it('every view has no axe violations (labels, roles, landmarks, contrast), dark scheme', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await visitEveryView();
  });
});
