import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { expectNoAxeViolations, expectNoAxeViolationsInEveryView } from './axe.js';
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

  async function visitEveryView(): Promise<void> {
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
    await expectNoAxeViolationsInEveryView(page);
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
