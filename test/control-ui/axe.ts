import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AxeResults, ElementContext, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';
import { CONTROL_UI_VIEWS } from '../../control-ui/app/views.js';

const require = createRequire(import.meta.url);
let axeSource: Promise<string> | undefined;

/**
 * axe-core's browser build, read once per test process. It goes into the page with evaluate
 * rather than a <script> tag: the Control UI's CSP (script-src 'self') refuses inline scripts, and
 * loosening it for tests would test a different page.
 */
function source(): Promise<string> {
  axeSource ??= readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  return axeSource;
}

export interface AxeCheckOptions {
  /** What to check (a selector, or axe's include/exclude object); default the whole document. */
  context?: ElementContext;
  /** Passed to axe.run, e.g. `{ runOnly: ['color-contrast'] }`. */
  options?: RunOptions;
}

/** Runs axe-core on the page as it is now and returns its violations. */
export async function axeViolations(page: Page, check: AxeCheckOptions = {}): Promise<Result[]> {
  const loaded = await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(await source());
  // As JSON: axe's context and option types are too deep for playwright's serializable-argument check.
  const args = JSON.stringify({ context: check.context ?? null, options: check.options ?? {} });
  const violations: unknown = await page.evaluate((json) => {
    const { context, options } = JSON.parse(json) as { context: unknown; options: unknown };
    const axe = (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<AxeResults> } }).axe;
    return axe.run(context ?? document, options).then((r) => r.violations);
  }, args);
  return violations as Result[];
}

/** One line per failing element: rule, impact, where, what to do. */
export function formatViolations(violations: Result[]): string {
  return violations
    .flatMap((v) =>
      v.nodes.map((n) => {
        const detail = n.failureSummary ? ` — ${n.failureSummary.replace(/\s+/g, ' ').trim()}` : '';
        return `[${v.id}] (${n.impact ?? v.impact ?? 'unknown'}) ${n.target.join(' ')}: ${v.help}${detail}`;
      }),
    )
    .join('\n');
}

/** Fails with a readable list (rule id, impact, target, help) when axe finds anything. */
export async function expectNoAxeViolations(page: Page, check: AxeCheckOptions = {}, label = page.url()): Promise<void> {
  const violations = await axeViolations(page, check);
  if (violations.length > 0) throw new Error(`axe-core found ${violations.length} accessibility rule violation(s) on ${label}:\n${formatViolations(violations)}`);
}

/**
 * Visits every view through the navigation of a signed-in page and fails once, listing the
 * violations of all of them, so one run shows everything to fix.
 */
export async function expectNoAxeViolationsInEveryView(page: Page, check: AxeCheckOptions = {}): Promise<void> {
  const found: string[] = [];
  for (const view of CONTROL_UI_VIEWS) {
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: view.title, exact: true }).click();
    await page.getByRole('heading', { name: view.title, level: 1 }).waitFor();
    await page.locator(`#view[data-view="${view.id}"]`).waitFor();
    // Views fill in from their first calls; let those land before judging the page.
    await page.waitForTimeout(300);
    const violations = await axeViolations(page, check);
    if (violations.length) found.push(`${view.title}:\n${formatViolations(violations)}`);
  }
  if (found.length) throw new Error(`axe-core violations:\n${found.join('\n')}`);
}
