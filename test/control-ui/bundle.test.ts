import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureUiBundle } from '../../bench/ui-bundle.js';
import { CONTROL_UI_VIEWS } from '../../control-ui/app/views.js';
import { buildAssets, removeTempDirs } from './harness.js';

/** First-paint budget (gzip): the dashboard has to come up fast on a phone over a tunnel. */
const FIRST_PAINT_GZIP_BUDGET = 40 * 1024;

afterAll(removeTempDirs);

describe('Control UI bundle', () => {
  it('builds self-contained browser assets: no CDN, no Node built-ins, no protocol schema', async () => {
    const dir = await buildAssets();
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<script type="module" src="app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="app.css">');
    expect(html).not.toMatch(/https?:\/\//);
    const app = await readFile(join(dir, 'app.js'), 'utf8');
    // Booleans, not toMatch: a failure should not print the whole bundle.
    expect(/["']node:|require\(["']ws["']\)/.test(app)).toBe(false);
    expect(/(?:from|import)\s*\(?\s*["'](?:https?:)?\/\//.test(app)).toBe(false);
    expect(app.includes('ConnectParams')).toBe(false);
    // The version the UI reports in its connect params is the package's.
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(app.includes(`version:${JSON.stringify(version)}`)).toBe(true);
  });

  it('stays within its first-paint budget (shell + Overview); other views and the JSON5 parser load only when opened', async () => {
    const size = await measureUiBundle();
    expect(size.gzipBytes).toBeGreaterThan(0);
    expect(size.gzipBytes).toBeLessThan(FIRST_PAINT_GZIP_BUDGET);
    expect(size.bytes).toBe(size.files.filter((f) => f.firstPaint).reduce((n, f) => n + f.bytes, 0));
    const lazy = size.files.filter((f) => !f.firstPaint);
    expect(size.lazyBytes).toBe(lazy.reduce((n, f) => n + f.bytes, 0));
    const dir = await buildAssets();
    const holding = async (marker: string) => {
      const names: string[] = [];
      for (const f of size.files) if (f.name.endsWith('.js') && (await readFile(join(dir, f.name), 'utf8')).includes(marker)) names.push(f.name);
      return names;
    };
    const lazyNames = new Set(lazy.map((f) => f.name));
    // The dashboard link opens the Overview: its chunk is fetched with the shell; every other view's chunk waits for its first visit.
    expect(size.firstPaintView).toBe('overview');
    for (const view of CONTROL_UI_VIEWS) {
      const chunks = size.files.filter((f) => f.view === view.id);
      expect(chunks.length, view.id).toBe(1);
      expect(chunks[0]!.firstPaint, view.id).toBe(view.id === 'overview');
    }
    // JSON5's own error text, and a string only the config view has.
    for (const marker of ['JSON5: invalid', 'config.patch']) {
      const found = await holding(marker);
      expect(found.length, marker).toBeGreaterThan(0);
      expect(found.every((name) => lazyNames.has(name)), marker).toBe(true);
    }
  });
});
