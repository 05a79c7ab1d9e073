/**
 * Builds the A2UI host page (control-ui/a2ui) into dist/a2ui with esbuild: a2ui.js (the page,
 * `@a2ui/lit` and lit bundled in; nothing comes from a CDN), a2ui.css and index.html.
 * `npm run build:ui` runs it after the Control UI, so `npm test` and `npm run build` do too.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pageDir = join(root, 'control-ui/a2ui');

export interface BuildA2uiOptions {
  /** Default: dist/a2ui. The directory is replaced as a whole. */
  outDir?: string;
  minify?: boolean;
  /** Linked source maps (default true). */
  sourcemap?: boolean;
}

export interface BuildA2uiResult {
  outDir: string;
  files: { name: string; bytes: number }[];
}

export async function buildA2ui(options: BuildA2uiOptions = {}): Promise<BuildA2uiResult> {
  const outDir = resolve(options.outDir ?? join(root, 'dist/a2ui'));
  // Built beside the target and swapped in, so the gateway never serves half a build.
  const staging = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const minify = options.minify ?? true;
  await mkdir(staging, { recursive: true });
  try {
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
    await rm(outDir, { recursive: true, force: true });
    await rename(staging, outDir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const files = [];
  for (const name of (await readdir(outDir)).sort()) files.push({ name, bytes: (await stat(join(outDir, name))).size });
  return { outDir, files };
}
