import { cac } from 'cac';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_MODULES, modulesFor } from '../../bin/command-modules.js';
import { createCommandKit } from '../../bin/commands/command-kit.js';
import { REPO } from './helpers.js';

/**
 * What each CLI run loads before its command runs: the modules reachable from the entry through
 * static imports (dynamic `import()` edges are where loading stops), read from the bundler's own
 * graph, so `import type` and the lazy edges count exactly as they do in `dist/`.
 */
let inputs: Metafile['inputs'];

beforeAll(async () => {
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: ['bin/openclaw.ts'],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outdir: 'cli-module-graph-unused',
    logLevel: 'silent',
  });
  inputs = result.metafile.inputs;
}, 120_000);

function staticClosure(roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const path = stack.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const edge of inputs[path]?.imports ?? []) if (edge.kind === 'import-statement') stack.push(edge.path);
  }
  return seen;
}

/** The modules the entry loads lazily, one per command family. */
function familyModules(): string[] {
  return (inputs['bin/command-modules.ts']?.imports ?? []).filter((e) => e.kind === 'dynamic-import').map((e) => e.path);
}

/** What only a running gateway needs: the kernel, the runtime, the servers, endpoints and channels. */
const GATEWAY_ONLY = /^(lib\/gateway\.ts|lib\/plugins\/|lib\/agents\/|runtime\/(?!package-version\.ts|optional-package\.ts)|transports\/|endpoints\/|channels\/)|^(ws|grammy|@whiskeysockets\/baileys|prom-client|bonjour-service)$/;

describe('CLI module graph', () => {
  it('`openclaw --version` loads cac and the command table, nothing of the gateway or the client', () => {
    const loaded = staticClosure(['bin/openclaw.ts']);
    // The graph is real: the entry and cac are in it.
    expect(loaded).toContain('bin/openclaw.ts');
    expect(loaded).toContain('cac');
    expect([...loaded].filter((p) => GATEWAY_ONLY.test(p))).toEqual([]);
    expect([...loaded].filter((p) => p.startsWith('lib/client/') || p.startsWith('lib/config/') || p.startsWith('bin/commands/') && p !== 'bin/commands/command-kit.ts')).toEqual([]);
    expect(modulesFor(['--version'])).toEqual([]);
    expect(modulesFor(['-v'])).toEqual([]);
  });

  it('every command family is loaded lazily, and the client commands load the client but not the gateway', () => {
    const families = familyModules();
    expect(families.length).toBe(COMMAND_MODULES.length);
    const serverSide = new Set(['bin/commands/doctor.ts', 'bin/commands/setup.ts']);
    for (const family of families) {
      if (serverSide.has(family)) continue;
      const loaded = staticClosure(['bin/openclaw.ts', family]);
      expect([...loaded].filter((p) => GATEWAY_ONLY.test(p)), family).toEqual([]);
    }
    // `openclaw health` (in the gateway family) loads the client on use; `gateway run`, in the
    // same family, does not load it (nor, through isomorphic-ws, ws) before it listens.
    expect(staticClosure(['bin/openclaw.ts', 'bin/commands/gateway.ts'])).not.toContain('lib/client/gateway-client.ts');
    expect(inputs['bin/commands/gateway.ts']!.imports).toContainEqual(expect.objectContaining({ path: 'bin/rpc-commands.ts', kind: 'dynamic-import' }));
    expect(staticClosure(['bin/rpc-commands.ts'])).toContain('lib/client/gateway-client.ts');
    // The client needs the protocol's constants, not the 240 KB schema module.
    const client = staticClosure(['lib/client/gateway-client.ts']);
    expect(client).toContain('lib/protocol/constants.ts');
    expect(client).not.toContain('lib/protocol/generated/schema.ts');
    // ...and `openclaw gateway run` reaches the runtime only through a dynamic import.
    const gatewayEdges = inputs['bin/commands/gateway.ts']!.imports;
    expect(gatewayEdges).toContainEqual(expect.objectContaining({ path: 'bin/run-gateway.ts', kind: 'dynamic-import' }));
  });

  it('the command table names exactly the commands each module registers', async () => {
    for (const family of COMMAND_MODULES) {
      const cli = cac('openclaw');
      (await family.load())(createCommandKit(cli, []));
      expect(cli.commands.map((c) => c.name).sort()).toEqual([...family.commands].sort());
    }
  }, 120_000);

  it('picks the family from the first word, skipping global option values, and falls back to all of them', () => {
    const gateway = COMMAND_MODULES.find((m) => m.commands.includes('health'));
    expect(modulesFor(['health', '--json'])).toEqual([gateway]);
    expect(modulesFor(['--profile', 'work', 'status'])).toEqual([gateway]);
    expect(modulesFor(['--dev', 'gateway', 'run'])).toEqual([gateway]);
    expect(modulesFor([])).toBe(COMMAND_MODULES);
    expect(modulesFor(['--help'])).toBe(COMMAND_MODULES);
    expect(modulesFor(['--version', '--help'])).toBe(COMMAND_MODULES);
    // A command option typed before the command: cac sorts it out with every family registered.
    expect(modulesFor(['--url', 'ws://127.0.0.1:1', 'health'])).toBe(COMMAND_MODULES);
    expect(modulesFor(['no-such-command'])).toBe(COMMAND_MODULES);
  });
});
