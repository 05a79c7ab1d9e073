/**
 * Builds the browser Control UI (control-ui/app) into dist/control-ui with esbuild:
 * one ES module entry (app.js) plus lazily loaded chunks, app.css, index.html and the icon.
 * Run `npm run build:ui`; `npm test` and `npm run build` run it too. The same run builds the
 * A2UI host page into dist/a2ui (scripts/build-a2ui.ts).
 */
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { packageVersion } from '../runtime/package-version.js';
import { buildA2ui } from './build-a2ui.js';
import { buildInto, type BuiltDirectory } from './build-into.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const appDir = join(root, 'control-ui/app');

export interface BuildControlUiOptions {
  /** Default: dist/control-ui. The directory is replaced as a whole. */
  outDir?: string;
  minify?: boolean;
  /** Linked source maps (default true); the published package leaves them out, its sources are not shipped. */
  sourcemap?: boolean;
}

/** One script the build wrote: its module source (for entry and view chunks) and what it imports. */
export interface BuiltScript {
  /** The source file this output is the entry for (`control-ui/app/views/overview-view.ts`); absent for shared chunks. */
  entryPoint?: string;
  /** Other outputs it loads before it runs (static imports). */
  staticImports: string[];
  /** Outputs it may load later (dynamic import()). */
  dynamicImports: string[];
}

export interface BuiltControlUi extends BuiltDirectory {
  /** Every .js output by file name, from esbuild's metafile. */
  scripts: Record<string, BuiltScript>;
}

export async function buildControlUi(options: BuildControlUiOptions = {}): Promise<BuiltControlUi> {
  const outDir = resolve(options.outDir ?? join(root, 'dist/control-ui'));
  const minify = options.minify ?? true;
  const scripts: Record<string, BuiltScript> = {};
  const built = await buildInto(outDir, async (staging) => {
    const { metafile } = await build({
      metafile: true,
      entryPoints: { app: join(appDir, 'main.ts') },
      outdir: staging,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: ['chrome113', 'firefox129', 'safari17'],
      chunkNames: 'chunk-[hash]',
      minify,
      sourcemap: options.sourcemap === false ? false : 'linked',
      define: { __OPENCLAW_VERSION__: JSON.stringify(packageVersion()) },
      logLevel: 'warning',
    });
    for (const [path, output] of Object.entries(metafile.outputs)) {
      if (!path.endsWith('.js')) continue;
      const imports = (kind: string) => output.imports.filter((i) => i.kind === kind && !i.external).map((i) => basename(i.path));
      scripts[basename(path)] = {
        ...(output.entryPoint ? { entryPoint: relative(root, resolve(output.entryPoint)) } : {}),
        staticImports: imports('import-statement'),
        dynamicImports: imports('dynamic-import'),
      };
    }
    await build({
      entryPoints: { app: join(appDir, 'styles.css') },
      outdir: staging,
      bundle: true,
      minify,
      logLevel: 'warning',
    });
    await copyFile(join(appDir, 'index.html'), join(staging, 'index.html'));
    await copyFile(join(appDir, 'favicon.svg'), join(staging, 'favicon.svg'));
  });
  return { ...built, scripts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await buildControlUi({ sourcemap: !process.argv.includes('--no-sourcemap') });
  const shipped = result.files.filter((f) => !f.name.endsWith('.map'));
  for (const f of result.files) console.log(`  ${f.name.padEnd(28)} ${String(f.bytes).padStart(8)} B`);
  console.log(`Control UI built in ${result.outDir} (${shipped.reduce((n, f) => n + f.bytes, 0)} bytes without source maps)`);
  const a2ui = await buildA2ui({ sourcemap: !process.argv.includes('--no-sourcemap') });
  console.log(`A2UI page built in ${a2ui.outDir} (${a2ui.files.filter((f) => !f.name.endsWith('.map')).reduce((n, f) => n + f.bytes, 0)} bytes without source maps)`);
}
