import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, ROOT as root, sourceFiles } from './source-graph.js';

const FORBIDDEN_PACKAGES = /^(?:node:)?(?:http|https|http2|net|tls|dgram|child_process)$|^(?:ws|isomorphic-ws\/node|@whiskeysockets\/baileys|baileys|grammy|pg|nats)(?:\/|$)/;

describe('layering', () => {
  it('lib/ imports no I/O packages and nothing from transports/, endpoints/, control-ui/, runtime/, channels/ or bin/', async () => {
    const problems: string[] = [];
    for (const file of await sourceFiles(join(root, 'lib'))) {
      const rel = relative(root, file);
      for (const spec of importsOf(await readFile(file, 'utf8'))) {
        if (FORBIDDEN_PACKAGES.test(spec)) problems.push(`${rel} imports ${spec}`);
        if (spec.startsWith('.')) {
          const target = relative(root, join(file, '..', spec));
          if (/^(transports|endpoints|control-ui|runtime|channels|cluster|bin)\//.test(target)) problems.push(`${rel} imports ${target}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('each layer imports only the layers below it: transports < endpoints, channels < runtime < bin', async () => {
    // What each folder must never import (besides lib/, which every layer may use).
    const above: Record<string, RegExp> = {
      transports: /^(endpoints|control-ui|runtime|channels|bin)\//,
      endpoints: /^(control-ui|runtime|channels|bin)\//,
      channels: /^(endpoints|control-ui|runtime|bin)\//,
      cluster: /^(transports|endpoints|control-ui|runtime|channels|bin)\//,
      'control-ui': /^(endpoints|runtime|channels|bin)\//,
      runtime: /^bin\//,
    };
    const problems: string[] = [];
    for (const [dir, forbidden] of Object.entries(above)) {
      for (const file of await sourceFiles(join(root, dir))) {
        const rel = relative(root, file);
        for (const spec of importsOf(await readFile(file, 'utf8'))) {
          if (!spec.startsWith('.')) continue;
          const target = relative(root, join(file, '..', spec));
          if (forbidden.test(target)) problems.push(`${rel} imports ${target}`);
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
