/**
 * Size of the Control UI as a browser loads it: built from the current source with the same build
 * as `npm run build:ui`, then measured raw and gzipped. First paint is what opening the dashboard
 * link (the Overview) fetches: index.html, app.css, the icon, app.js, the Overview view's chunk,
 * and every chunk those import statically. Everything else (the other views, the config editor's
 * JSON5 parser) loads on first use and is reported apart.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildControlUi, type BuiltScript } from '../scripts/build-ui.js';

/** The view the dashboard link opens, fetched with the shell at first paint. */
const FIRST_VIEW = 'overview';

// A type alias (not an interface) so it fits bench sections' `Record<string, unknown>` results.
export type UiBundleSize = {
  /** First-paint bytes, uncompressed. */
  bytes: number;
  /** First-paint bytes, each file gzipped at level 9 as a server or CDN would. */
  gzipBytes: number;
  lazyBytes: number;
  lazyGzipBytes: number;
  /** The view whose chunk counts as first paint. */
  firstPaintView: string;
  /** `view` names the view a chunk is the entry of (`views/<view>-view.ts`). */
  files: { name: string; bytes: number; gzipBytes: number; firstPaint: boolean; view?: string }[];
};

export async function measureUiBundle(): Promise<UiBundleSize> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-ui-bench-'));
  try {
    const { outDir, files, scripts } = await buildControlUi({ outDir: join(dir, 'control-ui') });
    const contents = new Map<string, Buffer>();
    for (const f of files) if (!f.name.endsWith('.map')) contents.set(f.name, await readFile(join(outDir, f.name)));
    const viewOf = (script: BuiltScript | undefined) => /(?:^|\/)([\w-]+)-view\.ts$/.exec(script?.entryPoint ?? '')?.[1];
    const firstView = Object.keys(scripts).find((name) => viewOf(scripts[name]) === FIRST_VIEW);
    if (!firstView) throw new Error(`no chunk of the build is the ${FIRST_VIEW} view (expected an entry named ${FIRST_VIEW}-view.ts)`);
    const firstPaint = new Set(['index.html', 'app.css', 'favicon.svg']);
    const visit = (name: string) => {
      if (firstPaint.has(name)) return;
      firstPaint.add(name);
      for (const next of scripts[name]?.staticImports ?? []) visit(next);
    };
    visit('app.js');
    visit(firstView);
    const measured = [...contents].map(([name, data]) => {
      const view = viewOf(scripts[name]);
      return { name, bytes: data.length, gzipBytes: gzipSync(data, { level: 9 }).length, firstPaint: firstPaint.has(name), ...(view ? { view } : {}) };
    });
    const sum = (list: typeof measured, key: 'bytes' | 'gzipBytes') => list.reduce((n, f) => n + f[key], 0);
    const first = measured.filter((f) => f.firstPaint);
    const lazy = measured.filter((f) => !f.firstPaint);
    return {
      bytes: sum(first, 'bytes'),
      gzipBytes: sum(first, 'gzipBytes'),
      lazyBytes: sum(lazy, 'bytes'),
      lazyGzipBytes: sum(lazy, 'gzipBytes'),
      firstPaintView: FIRST_VIEW,
      files: measured,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
