import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load-config.js';
import { resolveGatewayAuth } from '../../../lib/config/resolve-auth.js';
import { killAll, makeEnv, parseJson, runCli as runCliWithin, type TestEnv } from '../helpers.js';
import { seedReference } from '../../helpers/seed-reference.js';

// Each run starts the CLI from source; a loaded machine needs well over the default 10 s.
const runCli = (args: readonly string[], t: Pick<TestEnv, 'env' | 'home'>) => runCliWithin(args, t, 45_000);

afterAll(killAll);

async function upstreamProblems(config: unknown): Promise<string[]> {
  const reference = seedReference<{ schema: Record<string, unknown> }>('config.schema.json');
  if (!reference) return [];
  const { schema } = reference;
  const { $schema: _draft, ...body } = schema;
  // Upstream parses with defaults applied first (its schema marks defaulted keys required).
  const validate = new Ajv({ strict: false, allErrors: true, useDefaults: true }).compile(body);
  return validate(structuredClone(config)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('openclaw setup --non-interactive', () => {
  it('writes a config our loader accepts and the upstream config schema validates', async () => {
    const t = await makeEnv();
    const workspace = join(t.home, 'ws');
    const res = await runCli(
      [
        'setup',
        '--non-interactive',
        '--gateway-token',
        'tok-0123456789abcdef',
        '--base-url',
        'http://127.0.0.1:9/v1',
        '--api-key',
        'sk-local',
        '--model',
        'llama-3',
        '--telegram-bot-token',
        '123:abc',
        '--whatsapp',
        '--workspace',
        workspace,
        '--json',
      ],
      t,
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(parseJson(res.stdout)).toMatchObject({ configPath: t.configPath, auth: 'token', token: 'tok-0123456789abcdef', model: 'openai/llama-3', channels: ['telegram', 'whatsapp'] });
    expect((await stat(workspace)).isDirectory()).toBe(true);
    expect((await stat(t.configPath)).mode & 0o777).toBe(0o600);

    const written = JSON.parse(await readFile(t.configPath, 'utf8'));
    expect(written).toMatchObject({
      gateway: { mode: 'local', auth: { mode: 'token', token: 'tok-0123456789abcdef' } },
      agents: { defaults: { workspace, model: { primary: 'openai/llama-3' } } },
      models: { providers: { openai: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-local', api: 'openai-completions', models: [{ id: 'llama-3', name: 'llama-3' }] } } },
      channels: { telegram: { enabled: true, botToken: '123:abc' }, whatsapp: { enabled: true } },
      wizard: { lastRunCommand: 'setup', lastRunMode: 'local' },
    });
    expect(await upstreamProblems(written)).toEqual([]);

    const loaded = await loadConfig({ path: t.configPath, env: {} });
    const auth = resolveGatewayAuth({ config: loaded.config, env: {} });
    expect(auth).toMatchObject({ mode: 'token', token: 'tok-0123456789abcdef' });
  }, 90_000);

  it('generates a token on a fresh profile, keeps it on a second run, and takes a password instead when asked', async () => {
    const t = await makeEnv();
    const first = await runCli(['setup', '--non-interactive', '--json'], t);
    expect(first.code).toBe(0);
    const token = parseJson(first.stdout).token as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    const again = await runCli(['setup', '--non-interactive', '--json'], t);
    expect(parseJson(again.stdout)).toMatchObject({ auth: 'keep' });
    expect(JSON.parse(await readFile(t.configPath, 'utf8')).gateway.auth.token).toBe(token);

    const pw = await runCli(['onboard', '--non-interactive', '--gateway-auth', 'password', '--gateway-password', 'hunter2-long'], t);
    expect(pw.code).toBe(0);
    const written = JSON.parse(await readFile(t.configPath, 'utf8'));
    expect(written.gateway.auth).toEqual({ mode: 'password', password: 'hunter2-long' });
    expect(await upstreamProblems(written)).toEqual([]);
    const bad = await runCli(['setup', '--non-interactive', '--base-url', 'http://x'], t);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('needs both --base-url and --model');
  }, 180_000);

  it('openclaw --dev setup writes the dev profile: ~/.openclaw-dev and the workspace-dev folder', async () => {
    const t = await makeEnv({ OPENCLAW_STATE_DIR: undefined });
    const res = await runCli(['--dev', 'setup', '--non-interactive', '--json'], t);
    expect(res.stderr).toBe('');
    const out = parseJson(res.stdout);
    expect(out.configPath).toBe(join(t.home, '.openclaw-dev', 'openclaw.json'));
    expect(out.workspace).toBe(join(t.home, '.openclaw', 'workspace-dev'));
    const written = JSON.parse(await readFile(out.configPath, 'utf8'));
    expect(written.agents.defaults.workspace).toBe(out.workspace);
    expect(await upstreamProblems(written)).toEqual([]);
    expect((await loadConfig({ path: out.configPath, env: {} })).config.gateway?.auth?.token).toBe(out.token);
  }, 90_000);
});
