import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
export function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.push(m[1]!);
  return specs;
}

const FORBIDDEN_PACKAGES = /^(?:node:)?(?:http|https|http2|net|tls|dgram|child_process)$|^(?:ws|isomorphic-ws\/node|@whiskeysockets\/baileys|baileys|grammy)(?:\/|$)/;

describe('layering', () => {
  it('lib/ imports no I/O packages and nothing from transports/, channels/ or bin/', async () => {
    const problems: string[] = [];
    for (const file of await sourceFiles(join(root, 'lib'))) {
      const rel = relative(root, file);
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        if (FORBIDDEN_PACKAGES.test(spec)) problems.push(`${rel} imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = relative(root, join(file, '..', spec));
          if (/^(transports|channels|bin)\//.test(target)) problems.push(`${rel} imports ${target}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the browser-safe client imports no node: modules', async () => {
    const problems: string[] = [];
    for (const file of await sourceFiles(join(root, 'lib/client'))) {
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        if (spec.startsWith('node:') || spec.endsWith('device-identity.js') || spec.endsWith('file-storage.js')) {
          problems.push(`${relative(root, file)} imports ${spec}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the scanner itself catches forbidden imports', () => {
    const sample = `import { WebSocketServer } from 'ws';\nimport http from "node:http";\nconst cp = await import('child_process');\nexport { x } from '../transports/ws.js';`;
    expect(importsOf(sample)).toEqual(['ws', 'node:http', '../transports/ws.js', 'child_process']);
    expect(importsOf(sample).filter((s) => FORBIDDEN_PACKAGES.test(s))).toEqual(['ws', 'node:http', 'child_process']);
  });
});
