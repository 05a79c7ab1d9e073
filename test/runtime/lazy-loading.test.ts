import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../lib/client/index.js';
import { makeEnv, REPO } from '../bin/helpers.js';
import { FakeModelServer } from '../helpers/fake-model-server.js';

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
  // Only `gateway --stdio` serves over stdin/stdout.
  'stdio transport': new RegExp(`^${REPO}/transports/(stdio|ndjson)\\.ts$`),
  // Generated code: the protocol schema loads with the first validator, the whole config schema for config.schema.
  'protocol schema': new RegExp(`^${REPO}/lib/protocol/generated/schema\\.ts$`),
  'config schema': new RegExp(`^${REPO}/lib/protocol/generated/config-schema\\.ts$`),
};

/** Feature modules a method call, a run or a job loads at its first use, and how to tell their files. */
const FEATURES: Record<string, RegExp> = {
  'model providers': new RegExp(`^${REPO}/lib/providers/(openai-chat-provider|anthropic-messages-provider|provider-stream|sse-parser)\\.ts$|/node_modules/eventsource-parser/`),
  'agent turn': new RegExp(`^${REPO}/lib/agents/agent-turn\\.ts$`),
  'usage report': new RegExp(`^${REPO}/lib/agents/(session-usage-report|usage-day-range)\\.ts$`),
  'session compactor': new RegExp(`^${REPO}/lib/agents/session-compactor\\.ts$`),
  'workspace files': new RegExp(`^${REPO}/lib/agents/workspace-files\\.ts$`),
  'skill installer': new RegExp(`^${REPO}/lib/skills/skill-installer\\.ts$`),
  'skill catalog': new RegExp(`^${REPO}/lib/skills/(skill-catalog|skill-manifest)\\.ts$`),
  tts: new RegExp(`^${REPO}/lib/voice/tts-service\\.ts$`),
  wizard: new RegExp(`^${REPO}/lib/wizard/(wizard-session|onboarding-flow|onboarding-config)\\.ts$`),
  updater: new RegExp(`^${REPO}/lib/update/(package-updater|npm-registry)\\.ts$`),
  'cron job runner': new RegExp(`^${REPO}/lib/cron/cron-job-runner\\.ts$`),
  'exec approvals': new RegExp(`^${REPO}/lib/approvals/(exec-approvals-store|system-run-gate)\\.ts$`),
};

function features(files: string[]): string[] {
  return Object.entries(FEATURES)
    .filter(([, pattern]) => files.some((file) => pattern.test(file)))
    .map(([name]) => name)
    .sort();
}

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
    expect(features(atStart)).toEqual([]);
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
    expect(features(atStart)).toEqual([]);
    expect(configValidators(atStart)).toEqual([]);
    // ws is required through the CommonJS loader: imported from ESM, Node 20 translates each of its files.
    expect(atStart.some((file) => file.endsWith('/node_modules/ws/index.js'))).toBe(true);
    expect(atStart.filter((file) => file.endsWith('/node_modules/ws/wrapper.mjs'))).toEqual([]);

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

describe('feature modules load at their first use', () => {
  let model: FakeModelServer | undefined;
  afterEach(async () => {
    await model?.close();
    model = undefined;
  });

  it('a configured agent, a skill, TTS and cron load nothing of their work at start; each call loads its module and answers', { timeout: 120_000 }, async () => {
    model = await FakeModelServer.start('openai');
    model.script({ text: ['lazy ', 'hello'], usage: { input: 3, output: 2 } });
    // The update check goes to a registry that refuses at once: no network, an answer without an update.
    const t = await makeEnv({ npm_config_registry: 'http://127.0.0.1:1' });
    const workspace = join(t.stateDir, 'workspace');
    await mkdir(join(workspace, 'skills', 'lazytool'), { recursive: true });
    await writeFile(
      join(workspace, 'skills', 'lazytool', 'SKILL.md'),
      '---\nname: lazytool\ndescription: A tool\nmetadata: {"openclaw":{"requires":{"bins":["lazytool"]},"install":[{"id":"brew","kind":"brew","formula":"lazytool","bins":["lazytool"]}]}}\n---\nUse it.\n',
    );
    const config = {
      gateway: { mode: 'local', auth: { mode: 'token', token: TOKEN } },
      agents: { defaults: { model: 'fake/m1', workspace } },
      models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-lazy', api: 'openai-completions' } } },
    };
    await writeFile(t.configPath, JSON.stringify(config), { mode: 0o600 });
    const runtime = spawnRuntime(t.configPath, t.stateDir, t.env);
    const { port } = (await runtime.next()) as { port: number };
    const atStart = await runtime.loaded();
    expect(atStart.some((file) => file.endsWith('/lib/agents/agent-runner.ts'))).toBe(true);
    expect(atStart.some((file) => file.endsWith('/lib/providers/model-catalog.ts'))).toBe(true);
    expect(features(atStart)).toEqual([]);

    const client = new GatewayClient({ url: `ws://127.0.0.1:${port}`, token: TOKEN, client: { version: '1', platform: 'test' }, reconnect: false });
    try {
      await client.connect();
      // Every method is registered from the start; only what answers it loads later.
      expect(features(await runtime.loaded())).toEqual([]);

      const final = await client.call('agent', { message: 'hi', idempotencyKey: 'lazy-run-1' }, { expectFinal: true });
      expect(final).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'lazy hello' }] } });
      expect(model.requests).toHaveLength(1);
      expect(features(await runtime.loaded())).toEqual(['agent turn', 'model providers']);

      const usage = await client.call('sessions.usage', {});
      expect(usage.sessions.length).toBe(1);
      expect(usage.totals).toMatchObject({ input: 3, output: 2 });
      const compact = await client.call('sessions.compact', { key: 'main' });
      expect(compact).toMatchObject({ ok: true, compacted: false });
      const files = await client.call('agents.files.list', { agentId: 'main' });
      expect(files.workspace).toBe(workspace);
      expect((await client.call('tts.status', {})).provider).toBeTruthy();
      const install = await client.call('skills.install', { name: 'lazytool', installId: 'brew', timeoutMs: 10_000 }).catch((err: unknown) => err);
      expect(JSON.stringify(install)).toContain('brew');
      const wizard = await client.call('wizard.start', {});
      expect(wizard.sessionId).toBeTruthy();
      await client.call('wizard.cancel', { sessionId: wizard.sessionId });
      expect(await client.call('update.status', {})).toEqual({ sentinel: null, updateAvailable: null });
      expect((await client.call('exec.approvals.get', {})).exists).toBe(false);
      const job = await client.call('cron.add', { name: 'now', schedule: { kind: 'every', everyMs: 3_600_000 }, sessionTarget: 'main', wakeMode: 'next-heartbeat', payload: { kind: 'systemEvent', text: 'lazy' } });
      await client.call('cron.run', { id: job.id, mode: 'force' });
    } finally {
      await client.close();
    }
    expect(features(await runtime.loaded())).toEqual(Object.keys(FEATURES).sort());
  });
});
