import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../lib/errors.js';
import { updateRuntimePlugin } from '../../runtime/update-runtime-plugin.js';
import { startRuntime, type RuntimeHarness } from '../helpers/skills-runtime.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Install {
  prefix: string;
  packageRoot: string;
  binDir: string;
  npmLog: string;
}

/** A global npm layout (`<prefix>/lib/node_modules/clawgate`) and a stand-in `npm` script that "installs" a version into it. */
async function globalInstall(version: string): Promise<Install> {
  const prefix = await mkdtemp(join(tmpdir(), 'npm-prefix-'));
  cleanups.push(() => rm(prefix, { recursive: true, force: true }));
  const packageRoot = join(prefix, 'lib', 'node_modules', 'clawgate');
  await mkdir(packageRoot, { recursive: true });
  await writeFile(join(packageRoot, 'package.json'), JSON.stringify({ name: 'clawgate', version }));
  const binDir = join(prefix, 'fake-bin');
  await mkdir(binDir);
  const npmLog = join(prefix, 'npm-args.log');
  const script = [
    '#!/bin/sh',
    `echo "$@" >> "${npmLog}"`,
    '[ "$1 $2 $3" = "install -g --prefix" ] || { echo "unexpected npm args: $*" >&2; exit 2; }',
    'spec="$5"; version="${spec#clawgate@}"',
    'printf \'{"name":"clawgate","version":"%s"}\' "$version" > "$4/lib/node_modules/clawgate/package.json"',
    'echo "added 1 package"',
  ].join('\n');
  await writeFile(join(binDir, 'npm'), `${script}\n`);
  await chmod(join(binDir, 'npm'), 0o755);
  return { prefix, packageRoot, binDir, npmLog };
}

/** A registry stand-in answering package metadata documents. */
async function registry(latest: string): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/clawgate') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'clawgate', 'dist-tags': { latest }, versions: { [latest]: {}, '0.1.0': {} } }));
    } else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, requests };
}

async function start(install: Install, registryUrl: string): Promise<RuntimeHarness> {
  const h = await startRuntime({}, [updateRuntimePlugin({ packageRoot: install.packageRoot })], {
    OPENCLAW_VERSION: '0.1.0',
    npm_config_registry: registryUrl,
    PATH: `${install.binDir}:/usr/bin:/bin`,
  });
  cleanups.push(() => h.close());
  return h;
}

describe('update.run over WebSocket', () => {
  it('installs the newer registry version into the global prefix, then restarts in-process', async () => {
    const install = await globalInstall('0.1.0');
    const reg = await registry('0.2.0');
    const h = await start(install, reg.url);
    const client = await h.client();
    const restarted = new Promise((resolve) => h.runtime.on('restarted', resolve));

    const res = await client.call('update.run', { restartDelayMs: 0, note: 'ui update', timeoutMs: 20_000 });
    expect(res.ok).toBe(true);
    expect(res.result).toMatchObject({ status: 'ok', mode: 'npm', root: install.packageRoot, before: { version: '0.1.0' }, after: { version: '0.2.0' } });
    expect(res.result.steps[0]).toMatchObject({ name: 'npm install', exitCode: 0, stdoutTail: 'added 1 package\n' });
    expect(res.restart).toMatchObject({ ok: true, delayMs: 0 });
    expect(res.sentinel?.payload).toMatchObject({ kind: 'update', status: 'ok', message: 'ui update', stats: { mode: 'update.run', before: '0.1.0', after: '0.2.0' } });
    expect(reg.requests).toEqual(['/clawgate']);
    expect((await readFile(install.npmLog, 'utf8')).trim()).toBe(`install -g --prefix ${install.prefix} clawgate@0.2.0 --registry ${reg.url.replace(/\/$/, '')}`);
    expect(JSON.parse(await readFile(join(install.packageRoot, 'package.json'), 'utf8')).version).toBe('0.2.0');
    await restarted;
  });

  it('answers skipped without installing or restarting when the install is current', async () => {
    const install = await globalInstall('0.1.0');
    const reg = await registry('0.1.0');
    const h = await start(install, reg.url);
    const client = await h.client();
    const res = await client.call('update.run', {});
    expect(res).toMatchObject({ ok: true, result: { status: 'skipped', steps: [] } });
    expect(res.restart).toBeUndefined();
    await expect(readFile(install.npmLog, 'utf8')).rejects.toThrow();
  });

  it('refuses a git checkout before asking the registry', async () => {
    const install = await globalInstall('0.1.0');
    await mkdir(join(install.prefix, '.git'));
    const reg = await registry('0.2.0');
    const h = await start(install, reg.url);
    const client = await h.client();
    const err = (await client.call('update.run', {}).catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toBe(`update.run refused: ${install.packageRoot} is a git checkout (${install.prefix}); update it with git pull and a rebuild instead`);
    expect(reg.requests).toEqual([]);
  });

  it('reports a failed npm install with its output', async () => {
    const install = await globalInstall('0.1.0');
    await writeFile(join(install.binDir, 'npm'), '#!/bin/sh\necho "EACCES: permission denied" >&2\nexit 243\n');
    const reg = await registry('0.2.0');
    const h = await start(install, reg.url);
    const client = await h.client();
    const err = (await client.call('update.run', {}).catch((e: unknown) => e)) as GatewayError;
    expect(err.message).toBe('update to 0.2.0 failed: exit code 243');
    expect(err.details).toMatchObject({ stderr: 'EACCES: permission denied\n' });
  });

  // Root may write anywhere, so the refusal can only be seen as another user.
  it.skipIf(process.getuid?.() === 0)('refuses an install this process cannot write', async () => {
    const install = await globalInstall('0.1.0');
    const reg = await registry('0.2.0');
    await chmod(install.packageRoot, 0o555);
    cleanups.push(() => chmod(install.packageRoot, 0o755));
    const h = await start(install, reg.url);
    const client = await h.client();
    await expect(client.call('update.run', {})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: `update.run refused: ${install.packageRoot} is not writable by this process; update as the install's owner (or with sudo) instead`,
    });
  });
});
