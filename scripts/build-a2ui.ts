/**
 * Builds the A2UI host page (control-ui/a2ui) into dist/a2ui with esbuild: a2ui.js (the page,
 * `@a2ui/lit` and lit bundled in; nothing comes from a CDN), a2ui.css and index.html.
 * `npm run build:ui` runs it after the Control UI, so `npm test` and `npm run build` do too.
 */
import { copyFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildInto, type BuiltDirectory } from './build-into.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pageDir = join(root, 'control-ui/a2ui');

export interface BuildA2uiOptions {
  /** Default: dist/a2ui. The directory is replaced as a whole. */
  outDir?: string;
  minify?: boolean;
  /** Linked source maps (default true). */
  sourcemap?: boolean;
}

export async function buildA2ui(options: BuildA2uiOptions = {}): Promise<BuiltDirectory> {
  const outDir = resolve(options.outDir ?? join(root, 'dist/a2ui'));
  const minify = options.minify ?? true;
  return buildInto(outDir, async (staging) => {
    await build({
      entryPoints: { a2ui: join(pageDir, 'main.ts') },
      outdir: staging,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome113', 'firefox129', 'safari17'],
      minify,
      sourcemap: options.sourcemap === false ? false : 'linked',
      legalComments: 'linked',
      logLevel: 'warning',
    });
    await build({ entryPoints: { a2ui: join(pageDir, 'a2ui.css') }, outdir: staging, bundle: true, minify, logLevel: 'warning' });
    await copyFile(join(pageDir, 'index.html'), join(staging, 'index.html'));
  });
}
