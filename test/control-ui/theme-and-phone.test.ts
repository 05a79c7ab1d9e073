import type { Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTROL_UI_VIEWS } from '../../control-ui/app/views.js';
import { expectNoAxeViolations, expectNoAxeViolationsInEveryView } from './axe.js';
import { HAS_CHROMIUM, SKIP_MESSAGE, screenshot, startUiGateway, type UiGateway, useBrowser } from './harness.js';

if (!HAS_CHROMIUM) console.warn(SKIP_MESSAGE);

/** What a keyboard user sees on the focused element: its outline and the contrast of it against what is behind. */
function focusRing(page: Page): Promise<{ style: string; width: number; contrast: number }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const css = getComputedStyle(el);
    const rgb = (color: string) => (color.match(/[\d.]+/g) ?? []).slice(0, 4).map(Number);
    let behind: HTMLElement | null = el.parentElement;
    while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] ?? 1) === 0) behind = behind.parentElement;
    const bg = rgb(getComputedStyle(behind ?? document.documentElement).backgroundColor);
    const lum = ([r, g, b]: number[]) => {
      const lin = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
    };
    const [l1, l2] = [lum(rgb(css.outlineColor)), lum(bg)].sort((a, b) => b - a) as [number, number];
    return { style: css.outlineStyle, width: parseFloat(css.outlineWidth), contrast: (l1 + 0.05) / (l2 + 0.05) };
  });
}

describe.skipIf(!HAS_CHROMIUM)('Control UI themes and phone width', () => {
  const ui = useBrowser();
  let page: Page;
  let gw: UiGateway;

  beforeEach(async () => {
    gw = await startUiGateway({ assetsDir: ui.assetsDir });
  });

  afterEach(async () => {
    await gw?.stop();
  });

  async function open(viewport?: { width: number; height: number }): Promise<void> {
    page = await ui.newPage(viewport);
    await page.goto(gw.dashboardUrl);
    await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
  }

  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);

  it("follows the system's color scheme until one is picked, live", async () => {
    await open();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(theme).toBe('dark');
    expect(await page.getByLabel('Theme').inputValue()).toBe('system');
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(theme).toBe('light');
  });

  for (const [picked, system] of [
    ['dark', 'light'],
    ['light', 'dark'],
  ] as const) {
    it(`a ${picked} theme picked in the header (system ${system}) persists, passes axe with color contrast on every view, and shows focus rings`, async () => {
      await open();
      await page.emulateMedia({ colorScheme: system });
      await page.getByLabel('Theme').selectOption(picked);
      expect(await theme()).toBe(picked);
      await page.reload();
      await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
      expect(await theme()).toBe(picked);
      expect(await page.getByLabel('Theme').inputValue()).toBe(picked);
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe(picked);

      await expectNoAxeViolationsInEveryView(page, { options: { runOnly: ['color-contrast'] } });

      // Keyboard focus on a navigation link, a button and a form control: a solid ring that stands out (3:1).
      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Overview' }).focus();
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Tab');
      for (const target of ['link', 'select'] as const) {
        if (target === 'select') await page.getByLabel('Theme').focus();
        const ring = await focusRing(page);
        expect(ring.style, target).toBe('solid');
        expect(ring.width, target).toBeGreaterThanOrEqual(2);
        expect(ring.contrast, target).toBeGreaterThanOrEqual(3);
      }
      await screenshot(page, `theme-${picked}-1440`);

      await page.getByLabel('Theme').selectOption('system');
      await page.reload();
      await page.getByTestId('connection').filter({ hasText: 'Connected' }).waitFor();
      expect(await theme()).toBe(system);
    }, 120_000);
  }

  it('works at phone width (390px): the views are one scrolling row, nothing is wider than the screen, every view is reachable', async () => {
    await open({ width: 390, height: 844 });
    const nav = page.getByRole('navigation', { name: 'Views' });
    const list = nav.locator('ul');
    const rows = await list.evaluate((ul) => new Set(Array.from(ul.children).map((li) => Math.round((li as HTMLElement).getBoundingClientRect().top))).size);
    expect(rows).toBe(1);
    expect(await nav.evaluate((el) => el.getBoundingClientRect().height)).toBeLessThan(70);
    await screenshot(page, 'shell-390');
    for (const view of CONTROL_UI_VIEWS) {
      const link = nav.getByRole('link', { name: view.title, exact: true });
      await link.click();
      await page.locator(`#view[data-view="${view.id}"]`).waitFor();
      // The current view's link is scrolled into sight within the row.
      const box = await link.boundingBox();
      expect(box!.x, view.id).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, view.id).toBeLessThanOrEqual(390 + 1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), view.id).toBeLessThanOrEqual(390);
    }
    await screenshot(page, 'shell-390-last-view');
    // The header (brand, connection, theme, sign-out) fits too.
    const header = await page.locator('header.topbar').evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(header).toBe(true);
    await expectNoAxeViolations(page, {}, 'the shell at 390px');
  }, 120_000);
});
