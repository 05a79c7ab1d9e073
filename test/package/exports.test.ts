import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import tsupConfig from '../../tsup.config.js';
import { PACKAGE_NAME } from '../../lib/package-name.js';
import { ROOT, resolveImport, staticValueImportsOf } from '../architecture/source-graph.js';

interface PackageJson {
  name: string;
  exports: Record<string, string | { types: string; import: string; require: string }>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  files: string[];
}

const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const tsconfig = JSON.parse(await readFile(join(ROOT, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };

/** Each code export's subpath (`.`, `./client`, …) and the source file it is built from. */
const codeExports = Object.entries(pkg.exports).flatMap(([subpath, target]) => {
  if (typeof target === 'string') return [];
  const source = target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
  return [{ subpath, specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, source, target }];
});

/** Every name an entry exports, values and types, as a consumer's TypeScript sees them. */
function exportedNames(): Record<string, string[]> {
  const program = ts.createProgram(
    codeExports.map((e) => join(ROOT, e.source)),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, types: ['node'], skipLibCheck: true },
  );
  const checker = program.getTypeChecker();
  const out: Record<string, string[]> = {};
  for (const entry of codeExports) {
    const file = program.getSourceFile(join(ROOT, entry.source))!;
    const symbol = checker.getSymbolAtLocation(file)!;
    out[entry.specifier] = checker
      .getExportsOfModule(symbol)
      .map((s) => s.getName())
      .sort();
  }
  return out;
}

describe('package surface', () => {
  it('package.json, tsconfig paths, tsup entries and the package name agree', () => {
    expect(pkg.name).toBe(PACKAGE_NAME);
    const paths = Object.fromEntries(Object.entries(tsconfig.compilerOptions.paths).map(([k, [v]]) => [k, v!.replace(/^\.\//, '')]));
    expect(paths).toEqual(Object.fromEntries(codeExports.map((e) => [e.specifier, e.source])));
    const entries = (tsupConfig as { entry: Record<string, string> }).entry;
    for (const e of codeExports) {
      expect(entries[e.target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '')], e.subpath).toBe(e.source);
      expect(e.target.types, e.subpath).toBe(e.target.import.replace(/\.js$/, '.d.ts'));
      expect(e.target.require, e.subpath).toBe('./esm-only.cjs');
    }
    // JSON exports are shipped files.
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string' && subpath !== './package.json') expect(pkg.files, subpath).toContain(target.replace(/^\.\//, ''));
    }
  });

  it('the channel libraries are optional peer dependencies, with the versions the install hint names', async () => {
    const { OPTIONAL_PACKAGES } = await import('../../runtime/optional-package.js');
    expect(pkg.peerDependencies).toEqual(OPTIONAL_PACKAGES);
    for (const name of Object.keys(OPTIONAL_PACKAGES)) expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
    // Baileys is a release candidate: pinned exactly, never a range that could float to another rc.
    expect(OPTIONAL_PACKAGES['@whiskeysockets/baileys']).toMatch(/^\d+\.\d+\.\d+-rc\.?\d+$/);
  });

  it('exports exactly the names in the snapshot (a change to the public API is a conscious one)', async () => {
    await expect(JSON.stringify(exportedNames(), null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/exports.json');
  }, 60_000);

  it('the root loads no ws, isomorphic-ws, Baileys, grammY, qrcode-terminal, pg or nats: they load with the transport, channel or cluster that needs them', async () => {
    const heavy = /^(?:ws|isomorphic-ws|@whiskeysockets\/baileys|grammy|qrcode-terminal|pg|nats)(?:\/|$)/;
    const root = join(ROOT, codeExports.find((e) => e.subpath === '.')!.source);
    const seen = new Set<string>();
    const found: string[] = [];
    const queue = [root];
    while (queue.length) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of staticValueImportsOf(await readFile(file, 'utf8'))) {
        if (heavy.test(spec)) found.push(`${relative(ROOT, file)} imports ${spec}`);
        const next = resolveImport(file, spec);
        if (next) queue.push(next);
      }
    }
    expect(seen.size).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });

  it('the import scanner tells value imports from type-only ones', () => {
    const sample = [
      `import type { WebSocket } from 'ws';`,
      `import { type Bot } from 'grammy';`,
      `export type { X } from './x.js';`,
      `import { Gateway } from './gateway.js';`,
      `export * from './lib.js';`,
      `import 'side-effect';`,
      `const later = await import('./lazy.js');`,
    ].join('\n');
    expect(staticValueImportsOf(sample)).toEqual(['grammy', './gateway.js', './lib.js', 'side-effect']);
  });
});
