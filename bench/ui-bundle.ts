/**
 * Size of the Control UI as a browser loads it: built from the current source with the same build
 * as `npm run build:ui`, then measured raw and gzipped. First paint is index.html, app.css, the
 * icon, app.js and the chunks app.js imports statically; chunks behind a dynamic import() (the
 * config editor's JSON5 parser) are reported apart.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildControlUi } from '../scripts/build-ui.js';

// A type alias (not an interface) so it fits bench sections' `Record<string, unknown>` results.
export type UiBundleSize = {
  /** First-paint bytes, uncompressed. */
  bytes: number;
  /** First-paint bytes, each file gzipped at level 9 as a server or CDN would. */
  gzipBytes: number;
  lazyBytes: number;
  lazyGzipBytes: number;
  files: { name: string; bytes: number; gzipBytes: number; firstPaint: boolean }[];
};

export async function measureUiBundle(): Promise<UiBundleSize> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-ui-bench-'));
  try {
    const { outDir, files } = await buildControlUi({ outDir: join(dir, 'control-ui') });
    const contents = new Map<string, Buffer>();
    for (const f of files) if (!f.name.endsWith('.map')) contents.set(f.name, await readFile(join(outDir, f.name)));
    const firstPaint = new Set(['index.html', 'app.css', 'favicon.svg', 'app.js']);
    // Static `import … from "./chunk-X.js"` (or bare `import "./chunk-X.js"`) in app.js; `import("…")` stays lazy.
    const app = contents.get('app.js')?.toString('utf8') ?? '';
    for (const m of app.matchAll(/(?:from|import)\s*"\.\/([\w.-]+\.js)"/g)) firstPaint.add(m[1]!);
    const measured = [...contents].map(([name, data]) => ({
      name,
      bytes: data.length,
      gzipBytes: gzipSync(data, { level: 9 }).length,
      firstPaint: firstPaint.has(name),
    }));
    const sum = (list: typeof measured, key: 'bytes' | 'gzipBytes') => list.reduce((n, f) => n + f[key], 0);
    const first = measured.filter((f) => f.firstPaint);
    const lazy = measured.filter((f) => !f.firstPaint);
    return {
      bytes: sum(first, 'bytes'),
      gzipBytes: sum(first, 'gzipBytes'),
      lazyBytes: sum(lazy, 'bytes'),
      lazyGzipBytes: sum(lazy, 'gzipBytes'),
      files: measured,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
