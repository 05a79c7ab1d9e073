import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerEnv, directoryBytes, installConsumer, packPackage, runCommand } from '../../scripts/consumer-project.js';
import { ROOT } from '../architecture/source-graph.js';

/**
 * The package as a stranger meets it: `npm pack`, then installed from the tarball into a fresh
 * project through the npm registry (no lock file, no overrides, no optional channel packages).
 * Every check below runs inside that project, against the installed files only.
 */
describe('the packed package in a fresh project', () => {
  let work: string;
  let project: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'clawgate-consumer-'));
    project = join(work, 'project');
    await installConsumer(project, await packPackage(work));
  }, 420_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(project, name);
    await writeFile(path, text);
    return path;
  }

  function node(args: string[], env: NodeJS.ProcessEnv = {}) {
    return runCommand(process.execPath, args, { cwd: project, env: consumerEnv(env), timeoutMs: 60_000 });
  }

  it('installs small: no channel libraries, no dev tooling', async () => {
    const modules = join(project, 'node_modules');
    for (const name of ['@whiskeysockets/baileys', 'grammy', 'qrcode-terminal', 'typescript', 'eslint', 'tsx', 'vitest']) {
      expect(existsSync(join(modules, name)), name).toBe(false);
    }
    expect(existsSync(join(modules, 'clawgate/dist/control-ui/index.html'))).toBe(true);
    expect(await directoryBytes(modules)).toBeLessThan(15 * 1024 * 1024);
  });

  it('require() gets the ESM-only message', async () => {
    const result = await node(['-e', "require('clawgate')"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/clawgate is an ES module package: load it with import/);
  });

  it('npx openclaw gateway runs from the local bin and a client of the package connects', async () => {
    const state = join(work, 'cli-state');
    const token = 'consumer-cli-token-0123456789';
    const gateway = spawn('npx', ['--no-install', 'openclaw', 'gateway', '--port', '0', '--allow-unconfigured'], {
      cwd: project,
      env: consumerEnv({ HOME: state, OPENCLAW_STATE_DIR: state, OPENCLAW_GATEWAY_TOKEN: token, OPENCLAW_SKIP_CANVAS_HOST: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      // npx does not pass signals on to the gateway it runs: the whole group is signalled.
      detached: true,
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => gateway.once('close', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const match = /listening on (ws:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match) resolve(match[1]!);
        };
        gateway.stdout.on('data', onData);
        gateway.stderr.on('data', onData);
        gateway.once('close', (code) => reject(new Error(`gateway exited (${code}) before listening:\n${output}`)));
      });
      const client = await file(
        'cli-client.mjs',
        `import { GatewayClient } from 'clawgate/client';
const client = new GatewayClient({ url: process.argv[2], token: process.argv[3], client: { version: '1.0.0', platform: process.platform }, reconnect: false });
const hello = await client.connect();
const health = await client.call('health', {});
console.log(JSON.stringify({ protocol: hello.protocol, version: hello.server.version, ok: health.ok }));
await client.close();
`,
      );
      const result = await node([client, url, token]);
      expect(result.stderr).toBe('');
      expect(JSON.parse(result.stdout)).toEqual({ protocol: expect.any(Number), version: '0.1.0', ok: true });
    } finally {
      process.kill(-gateway.pid!, 'SIGTERM');
    }
    await exited;
    expect(output).toMatch(/gateway stopped/);
  }, 60_000);

  it('the root loads no ws or channel library; the runtime embeds in a node:http server; a missing channel package is named', async () => {
    const script = await file(
      'embed.mjs',
      `import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createGatewayRuntime } = await import('clawgate');
const loadedAtImport = Object.keys(require.cache).filter((p) => /node_modules[\\\\/](ws|grammy|@whiskeysockets)[\\\\/]/.test(p));
const { GatewayClient } = await import('clawgate/client');

const server = createServer((req, res) => (req.url === '/host' ? res.end('host page') : res.writeHead(404).end()));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const token = 'consumer-embed-token-0123456789';
const runtime = await createGatewayRuntime({
  config: { gateway: { mode: 'local', auth: { mode: 'token', token } }, channels: { telegram: { botToken: '123456:consumer' } }, canvasHost: { enabled: false } },
  stateDir: process.argv[2],
  server,
  wsPath: '/gateway',
  env: {},
});
await runtime.start();
const client = new GatewayClient({ url: 'ws://127.0.0.1:' + port + '/gateway', token, client: { version: '1.0.0', platform: process.platform }, reconnect: false });
await client.connect();
const status = await client.call('channels.status', {});
const host = await (await fetch('http://127.0.0.1:' + port + '/host')).text();
await client.close();
await runtime.stop();
await new Promise((resolve) => server.close(resolve));
console.log(JSON.stringify({ loadedAtImport, host, telegramError: status.channelAccounts.telegram?.[0]?.lastError }));
`,
    );
    const result = await node([script, join(work, 'embed-state')]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!) as { loadedAtImport: string[]; host: string; telegramError: string };
    expect(report.loadedAtImport).toEqual([]);
    expect(report.host).toBe('host page');
    expect(report.telegramError).toMatch(/Telegram channel needs the optional package grammy.*npm install grammy@/);
  });

  it('a strict TypeScript client type-checks against the shipped declarations, and misuse does not', async () => {
    await file(
      'client.ts',
      `import { GatewayClient, GatewayError } from 'clawgate/client';
import type { HealthSummary, HelloOk, StatusSummary } from 'clawgate/protocol';
import { createGatewayRuntime, type GatewayPlugin } from 'clawgate';

export async function probe(url: string, token: string): Promise<string> {
  const client = new GatewayClient({ url, token, client: { version: '1.0.0', platform: 'linux' }, reconnect: false });
  const hello: HelloOk = await client.connect();
  const health: HealthSummary = await client.call('health', {});
  const status: StatusSummary = await client.call('status', {});
  // A host's own method: its result is unknown until the caller names its type.
  const custom = await client.call('host.echo', { text: 'x' });
  // @ts-expect-error the result of an undeclared method is unknown
  void custom.echoed;
  const typed = await client.call<{ echoed: string }>('host.echo', { text: 'x' });
  // @ts-expect-error params are checked against the method's schema
  await client.call('chat.history', { sessionKey: 42 });
  await client.close();
  return hello.server.version + String(health.ok) + status.sessions.count + typed.echoed;
}

export const plugin: GatewayPlugin = { name: 'noop', setup() {} };
export const start = createGatewayRuntime;
export const isGatewayError = (err: unknown): err is GatewayError => err instanceof GatewayError;
`,
    );
    await file(
      'tsconfig.json',
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
        files: ['client.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const checked = await node([tsc, '-p', project]);
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.code).toBe(0);

    await file('misuse.ts', `import type { HelloOk } from 'clawgate/protocol';\nexport const broken: HelloOk = { type: 'hello-ok' };\n`);
    await file('tsconfig.misuse.json', JSON.stringify({ extends: './tsconfig.json', files: ['misuse.ts'] }));
    const misuse = await node([tsc, '-p', join(project, 'tsconfig.misuse.json')]);
    expect(misuse.code).not.toBe(0);
    expect(misuse.stdout).toMatch(/misuse\.ts.*TS2739|is missing the following properties/);
  }, 60_000);

  it('drives openclaw gateway --stdio with the shipped stdio client under node:test', async () => {
    const testFile = await file(
      'stdio.test.mjs',
      `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayClient } from 'clawgate/client';
import { spawnGateway } from 'clawgate/client/stdio';

test('a gateway over stdio answers and exits 0 when the client hangs up', async () => {
  const token = 'consumer-stdio-token-0123456789';
  const gateway = spawnGateway({ args: ['--allow-unconfigured'], env: { ...process.env, OPENCLAW_STATE_DIR: process.env.STDIO_STATE, HOME: process.env.STDIO_STATE, OPENCLAW_GATEWAY_TOKEN: token } });
  const client = new GatewayClient({ url: 'stdio:', token, client: { version: '1.0.0', platform: process.platform }, createSocket: () => gateway.createSocket(), reconnect: false });
  const hello = await client.connect();
  assert.equal(hello.type, 'hello-ok');
  const status = await client.call('status', {});
  assert.equal(typeof status.sessions.count, 'number');
  await client.close();
  assert.equal(await gateway.exited, 0, gateway.stderr());
});
`,
    );
    const result = await node(['--test', testFile], { STDIO_STATE: join(work, 'stdio-state') });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/# pass 1/);
  });
});
