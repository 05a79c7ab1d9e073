import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { makeEnv, REPO } from '../bin/helpers.js';

const TOKEN = 'lazy-loading-token-0123456789';

/** A module group and how to tell its files in the loaded list. */
const HEAVY: Record<string, RegExp> = {
  grammy: /\/node_modules\/grammy\//,
  baileys: /\/node_modules\/@whiskeysockets\/baileys\//,
  unpdf: /\/node_modules\/unpdf\//,
  croner: /\/node_modules\/croner\//,
  'prom-client': /\/node_modules\/prom-client\//,
  ajv: /\/node_modules\/ajv\/dist\/(ajv|core)\.js$/,
  endpoints: new RegExp(`^${REPO}/endpoints/(?!canvas-host)`),
  'canvas host': new RegExp(`^${REPO}/endpoints/canvas-host\\.ts$`),
  'channel adapters': new RegExp(`^${REPO}/channels/(telegram|whatsapp)`),
  'control ui route': new RegExp(`^${REPO}/control-ui/control-ui-route\\.ts$`),
  'a2ui route': new RegExp(`^${REPO}/control-ui/a2ui-route\\.ts$`),
  // Generated code: the protocol schema loads with the first validator, the whole config schema for config.schema.
  'protocol schema': new RegExp(`^${REPO}/lib/protocol/generated/schema\\.ts$`),
  'config schema': new RegExp(`^${REPO}/lib/protocol/generated/config-schema\\.ts$`),
};

/** The config validator modules loaded (`root`, and one per section), by name. */
function configValidators(files: string[]): string[] {
  const pattern = new RegExp(`^${REPO}/lib/protocol/generated/config-validator/(\\w+)\\.js$`);
  return files.flatMap((file) => pattern.exec(file)?.[1] ?? []).sort();
}

function present(files: string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, pattern]) => files.some((file) => pattern.test(file)))
    .map(([name]) => name);
}

function spawnRuntime(configPath: string, stateDir: string, env: NodeJS.ProcessEnv, ...flags: string[]): RuntimeChild {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', join(REPO, 'test/helpers/module-recorder.mjs'), join(REPO, 'test/helpers/loaded-modules-child.ts'), configPath, stateDir, ...flags], {
    cwd: REPO,
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return new RuntimeChild(child);
}

class RuntimeChild {
  readonly #lines: string[] = [];
  #wake?: () => void;
  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{') && !line.startsWith('[')) return;
      this.#lines.push(line);
      this.#wake?.();
    });
  }

  async next(): Promise<unknown> {
    while (this.#lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error(`runtime child exited with ${this.child.exitCode}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return JSON.parse(this.#lines.shift()!);
  }

  async loaded(): Promise<string[]> {
    this.child.stdin!.write('loaded\n');
    return (await this.next()) as string[];
  }
}

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin!.end();
    await exited;
  }
});

describe('an unconfigured gateway loads what it uses', () => {
  it('starts without channel libraries, endpoints, the canvas host, routes, cron, PDF, metrics or validation libraries; each loads at first use and works', { timeout: 120_000 }, async () => {
    const t = await makeEnv();
    await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local', auth: { mode: 'token', token: TOKEN } } }), { mode: 0o600 });
    const runtime = spawnRuntime(t.configPath, t.stateDir, t.env);
    const { port } = (await runtime.next()) as { port: number };

    const atStart = await runtime.loaded();
    // The recorder works: what the start needs is in the list.
    expect(atStart.some((file) => file.endsWith('/runtime/gateway-runtime.ts'))).toBe(true);
    expect(atStart.some((file) => /\/node_modules\/ws\//.test(file))).toBe(true);
    expect(present(atStart)).toEqual([]);
    // The config has a gateway section: its check and the root's, no other section's.
    expect(configValidators(atStart)).toEqual(['gateway', 'root']);

    const base = `http://127.0.0.1:${port}`;
    const client = new GatewayClient({ url: `ws://127.0.0.1:${port}`, token: TOKEN, client: { version: '1', platform: 'test' }, reconnect: false });
    const hello = await client.connect();
    // The canvas port listens from the start; its server loads at the first request.
    const canvasUrl = hello.pluginSurfaceUrls?.canvas;
    expect(canvasUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await mkdir(join(t.stateDir, 'workspace', 'canvas'), { recursive: true });
    await writeFile(join(t.stateDir, 'workspace', 'canvas', 'index.html'), '<html><body>lazy canvas</body></html>');
    const page = await fetch(`${canvasUrl}/__openclaw__/canvas/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('lazy canvas');
    try {
      const job = await client.call('cron.add', { name: 'nightly', schedule: { kind: 'cron', expr: '0 3 * * *' }, sessionTarget: 'main', wakeMode: 'next-heartbeat', payload: { kind: 'systemEvent', text: 'n' } });
      expect(job.state.nextRunAtMs).toBeGreaterThan(Date.now());
    } finally {
      await client.close();
    }
    const invoke = await fetch(`${base}/tools/invoke`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'no_such_tool' }) });
    expect(invoke.status).toBe(404);
    expect(((await invoke.json()) as { error: { message: string } }).error.message).toContain('no_such_tool');
    const ui = await fetch(`${base}/`);
    expect(ui.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    await ui.arrayBuffer();
    const a2ui = await fetch(`${base}/__openclaw__/a2ui`, { redirect: 'manual' });
    expect(a2ui.status).toBe(308);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE');

    const afterUse = await runtime.loaded();
    expect(present(afterUse).sort()).toEqual(['a2ui route', 'ajv', 'canvas host', 'control ui route', 'croner', 'endpoints', 'prom-client', 'protocol schema'].sort());
    // Channel libraries load only for a configured account (test/runtime/channels-plugin.test.ts).
    expect(present(afterUse)).not.toContain('grammy');
  });
});

describe('a gateway without a config file', () => {
  it('loads no config validator, no config schema and no protocol schema to start; the first client loads the protocol schema', { timeout: 120_000 }, async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
    const runtime = spawnRuntime(t.configPath, t.stateDir, t.env, '--allow-unconfigured');
    const { port } = (await runtime.next()) as { port: number };

    const atStart = await runtime.loaded();
    expect(atStart.some((file) => file.endsWith('/runtime/gateway-runtime.ts'))).toBe(true);
    expect(present(atStart)).toEqual([]);
    expect(configValidators(atStart)).toEqual([]);

    const client = new GatewayClient({ url: `ws://127.0.0.1:${port}`, token: TOKEN, client: { version: '1', platform: 'test' }, reconnect: false });
    try {
      await client.connect();
      expect(await client.call('health', {})).toMatchObject({ ok: true });
    } finally {
      await client.close();
    }
    expect(present(await runtime.loaded())).toContain('protocol schema');
  });
});
