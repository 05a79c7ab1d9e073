import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCliContext } from '../../bin/cli-context.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { TOKEN } from '../helpers/connect.js';
import { FakeModelServer } from '../helpers/fake-model-server.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('hooks and log redaction from the config file', () => {
  it('runs a mapping with a transform from <config dir>/hooks/transforms; its failure is a 500 whose log line is redacted in logs.tail', async () => {
    const model = await FakeModelServer.start('openai');
    cleanups.push(() => model.close());
    const home = await mkdtemp(join(tmpdir(), 'openclaw-hooks-runtime-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    await mkdir(join(home, 'hooks', 'transforms'), { recursive: true });
    await writeFile(
      join(home, 'hooks', 'transforms', 'ci.mjs'),
      'export default (ctx) => { if (ctx.payload.fail) throw new Error("bad build secret-abc123"); return { message: `CI ${ctx.payload.status}` }; };',
    );
    const configPath = join(home, 'openclaw.json');
    await writeFile(
      configPath,
      JSON.stringify({
        gateway: { mode: 'local' },
        models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions', models: [{ id: 'm1' }] } } },
        agents: { defaults: { model: 'fake/m1' } },
        hooks: { enabled: true, token: 'hook-token-789', mappings: [{ match: { path: 'ci' }, name: 'CI', transform: { module: 'ci.mjs' } }] },
        logging: { redactPatterns: ['secret-\\w+'] },
      }),
    );
    const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath, OPENCLAW_GATEWAY_TOKEN: TOKEN, OPENCLAW_SKIP_CHANNELS: '1', OPENCLAW_SKIP_CANVAS_HOST: '1' });
    const out: string[] = [];
    const runtime = new GatewayRuntime({ environment: ctx, overrides: { port: '0' }, out: (l) => void out.push(l), logDir: join(home, 'logs') });
    await runtime.start();
    cleanups.push(() => runtime.stop());
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${runtime.port}/hooks/ci`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer hook-token-789' }, body: JSON.stringify(body) });

    model.script({ text: ['noted'] });
    expect((await post({ status: 'green' })).status).toBe(202);
    for (let i = 0; i < 200 && model.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(model.requests[0]!.body.messages.at(-1).content).toBe('CI green');

    const failed = await post({ fail: true });
    expect(failed.status).toBe(500);
    // The caller is told; the logs are not.
    expect((await failed.json()).error).toBe('hook transform ci.mjs failed: bad build secret-abc123');
    const tail = await runtime.gateway!.call('logs.tail', {});
    const line = tail.lines.find((l) => l.includes('hook transform ci.mjs failed'));
    expect(line).toContain('bad build ***');
    expect(tail.lines.join('\n')).not.toContain('secret-abc123');
    expect(out.join('\n')).toContain('bad build ***');
    expect(out.join('\n')).not.toContain('secret-abc123');
  });
});
