import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCliContext } from '../../bin/cli-context.js';
import { controlUiRuntimePlugin } from '../../runtime/control-ui-runtime-plugin.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { TOKEN } from '../helpers/connect.js';

const dirs: string[] = [];
const runtimes: GatewayRuntime[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A runtime with only the Control UI plugin, serving a stub app; returns it and what it printed. */
async function start(gateway: Record<string, unknown>, flags: { password?: string; auth?: string } = {}) {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-ui-plugin-'));
  dirs.push(home);
  const assetsDir = join(home, 'assets');
  await mkdir(assetsDir);
  await writeFile(join(assetsDir, 'index.html'), '<base href="/"><p>ui</p>');
  const configPath = join(home, 'openclaw.json');
  await writeFile(configPath, JSON.stringify({ gateway: { mode: 'local', ...gateway } }), { mode: 0o600 });
  const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath });
  const out: string[] = [];
  const runtime = new GatewayRuntime({
    environment: ctx,
    overrides: { port: '0', ...flags },
    out: (line) => out.push(line),
    plugins: [controlUiRuntimePlugin({ assetsDir })],
    logDir: join(home, 'logs'),
  });
  await runtime.start();
  runtimes.push(runtime);
  return { runtime, out, base: `http://127.0.0.1:${runtime.port}` };
}

/** The HTTP status of a WebSocket upgrade sent with `origin` (101 when accepted). */
function upgradeStatus(port: number, origin: string | undefined, host?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = host ? { host } : {};
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { ...(origin ? { origin } : {}), headers });
    ws.once('upgrade', (res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

describe('Control UI in the gateway runtime', () => {
  it('serves the app on the gateway port and prints the dashboard link once, outside the log, without a configured token', async () => {
    const { runtime, out, base } = await start({ auth: { token: TOKEN } });
    expect(out.filter((l) => l.startsWith('Dashboard: '))).toEqual([`Dashboard: ${base}/`]);
    expect(out.filter((l) => l.includes(TOKEN))).toEqual([]);
    expect(out).toContain('  It asks for the gateway token; add #token=<token> to the link to sign in directly.');
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<p>ui</p>');
    // A restart rebuilds the gateway but does not print the link again.
    await runtime.restart('test');
    expect(out.filter((l) => l.startsWith('Dashboard: '))).toHaveLength(1);
  });

  it('puts a token in the link only on the start that generated it', async () => {
    const { out, base } = await start({});
    const generated = out[out.indexOf(out.find((l) => l.startsWith('Generated a gateway token'))!) + 1]!.trim();
    expect(generated).toMatch(/^[0-9a-f]{48}$/);
    expect(out.filter((l) => l.startsWith('Dashboard: '))).toEqual([`Dashboard: ${base}/#token=${generated}`]);
  });

  it('checks the Origin of WebSocket upgrades: own origin and tools pass, other sites get 403', async () => {
    const { runtime } = await start({ auth: { token: TOKEN }, controlUi: { allowedOrigins: ['https://ops.example.com'] } });
    const port = runtime.port;
    expect(await upgradeStatus(port, undefined)).toBe(101);
    expect(await upgradeStatus(port, `http://127.0.0.1:${port}`)).toBe(101);
    expect(await upgradeStatus(port, 'https://ops.example.com')).toBe(101);
    expect(await upgradeStatus(port, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(port, `http://localhost:${port + 1}`, `localhost:${port}`)).toBe(403);
    expect(await upgradeStatus(port, `http://rebind.example:${port}`, `rebind.example:${port}`)).toBe(403);
  });

  it('serves nothing and prints no link when gateway.controlUi.enabled is false', async () => {
    const { out, base } = await start({ auth: { token: TOKEN }, controlUi: { enabled: false } });
    expect(out.some((l) => l.startsWith('Dashboard: '))).toBe(false);
    expect((await fetch(`${base}/`)).status).toBe(404);
  });

  it('links to the base path, and leaves the secret out in password mode', async () => {
    const { out, base } = await start({ auth: { mode: 'password', password: 'hunter2-hunter2' }, controlUi: { basePath: '/ops' } });
    expect(out.filter((l) => l.startsWith('Dashboard: '))).toEqual([`Dashboard: ${base}/ops/`]);
    expect(out.some((l) => l.includes('hunter2'))).toBe(false);
    expect((await fetch(`${base}/ops/`)).status).toBe(200);
  });

  it('refuses to start with a base path that is not a clean URL prefix', async () => {
    await expect(start({ auth: { token: TOKEN }, controlUi: { basePath: '/a/../b' } })).rejects.toThrow(
      'gateway.controlUi.basePath must look like /path/to/ui',
    );
  });
});
