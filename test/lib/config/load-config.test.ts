import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { loadConfig, validateConfig } from '../../../lib/config/load-config.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openclaw-config-'));
  path = join(dir, 'openclaw.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(text: string, env: Record<string, string> = {}): Promise<GatewayError> {
  await writeFile(path, text);
  const err = await loadConfig({ path, env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('CONFIG_INVALID');
  return err as GatewayError;
}

describe('loadConfig', () => {
  it('treats a missing file as an empty config', async () => {
    expect(await loadConfig({ path, env: {} })).toEqual({
      path,
      exists: false,
      raw: '',
      parsed: {},
      config: {},
      hash: '',
      envAdditions: {},
    });
  });

  it('reads JSON5 with comments and trailing commas', async () => {
    const raw = `// local gateway
{
  gateway: {
    mode: 'local', /* inline */
    port: 19001,
    auth: { token: "abc", },
  },
}
`;
    await writeFile(path, raw);
    const loaded = await loadConfig({ path, env: {} });
    expect(loaded.exists).toBe(true);
    expect(loaded.raw).toBe(raw);
    expect(loaded.config).toEqual({ gateway: { mode: 'local', port: 19001, auth: { token: 'abc' } } });
    expect(loaded.hash).toBe(createHash('sha256').update(raw).digest('hex'));
  });

  it('names every bad key path and the problem', async () => {
    const err = await loadError('{ gateway: { port: "x", bogus: 1, auth: { mode: "nobody" } }, nope: {} }');
    expect(err.message).toBe(
      `invalid config ${path}: gateway.auth.mode: must be one of "token", "password", "none", "trusted-proxy"; ` +
        'gateway.bogus: unknown key; gateway.port: must be integer; nope: unknown key',
    );
    expect(err.details).toEqual({
      path,
      issues: [
        { path: 'gateway.auth.mode', message: 'must be one of "token", "password", "none", "trusted-proxy"' },
        { path: 'gateway.bogus', message: 'unknown key' },
        { path: 'gateway.port', message: 'must be integer' },
        { path: 'nope', message: 'unknown key' },
      ],
    });
  });

  it('reports array items and missing required keys', async () => {
    const err = await loadError('{ agents: { list: [{ id: "a" }, { name: "b" }] } }');
    expect(err.message).toBe(`invalid config ${path}: agents.list.1.id: is required`);
  });

  it('rejects a document that is not an object', async () => {
    expect((await loadError('[1, 2]')).message).toBe(`invalid config ${path}: (root): must be object`);
  });

  it('reports syntax errors with line and column', async () => {
    const err = await loadError('{\n  gateway: {\n    port: 1,,\n  }\n}');
    expect(err.message).toMatch(new RegExp(`^invalid config ${path}: syntax error at line 3, column 13`));
    expect(err.details).toMatchObject({ line: 3, column: 13 });
  });

  it('substitutes ${VAR} in string values', async () => {
    await writeFile(
      path,
      '{ gateway: { auth: { token: "${TOKEN}" }, remote: { url: "ws://${HOST}:${PORT}/" } }, logging: { file: "$${HOME}/x" } }',
    );
    const loaded = await loadConfig({ path, env: { TOKEN: 's3cret', HOST: 'box', PORT: '1234' } });
    expect(loaded.config.gateway).toEqual({ auth: { token: 's3cret' }, remote: { url: 'ws://box:1234/' } });
    expect(loaded.config.logging?.file).toBe('${HOME}/x');
    expect(loaded.parsed).toMatchObject({ gateway: { auth: { token: '${TOKEN}' } } });
  });

  it('names the key whose variable is missing', async () => {
    const err = await loadError('{ models: { providers: { openai: { apiKey: "${OPENAI_KEY}" } } } }');
    expect(err.message).toBe(
      `invalid config ${path}: models.providers.openai.apiKey: environment variable OPENAI_KEY is not set`,
    );
  });

  it('fills only missing variables from the env block, and substitution sees them', async () => {
    await writeFile(
      path,
      '{ env: { A: "from-file", B: "from-file" }, gateway: { auth: { token: "${A}-${B}" } } }',
    );
    const env = { B: 'from-env' };
    const loaded = await loadConfig({ path, env });
    expect(loaded.envAdditions).toEqual({ A: 'from-file' });
    expect(loaded.config.gateway?.auth?.token).toBe('from-file-from-env');
    expect(env).toEqual({ B: 'from-env' });
  });

  it('accepts the documented sections', async () => {
    await writeFile(
      path,
      JSON.stringify({
        $schema: './config.schema.json',
        gateway: {
          port: 18789,
          bind: 'lan',
          controlUi: { enabled: true, allowedOrigins: ['https://x'] },
          http: { endpoints: { responses: { enabled: true, files: { maxBytes: 1, later: true } } } },
          policy: { maxPayload: 1024, maxBufferedBytes: 2048, tickIntervalMs: 1000 },
        },
        canvasHost: { port: 18793, liveReload: false },
        logging: { level: 'debug', consoleStyle: 'json', redactSensitive: 'tools' },
        agents: { defaults: { model: 'openai/gpt', timeoutSeconds: 600 }, list: [{ id: 'main', default: true }] },
        models: { providers: { local: { api: 'openai-completions', models: [{ id: 'm', contextWindow: 8192 }] } } },
        channels: { telegram: { enabled: true, botToken: 'later' } },
        hooks: { enabled: false, mappings: [{ match: 'anything' }] },
        session: { scope: 'per-sender' },
        env: { FOO: 'bar' },
      }),
    );
    await expect(loadConfig({ path, env: {} })).resolves.toMatchObject({ exists: true });
  });
});

describe('validateConfig', () => {
  it('returns issues instead of throwing', async () => {
    expect(await validateConfig({ gateway: { policy: { maxPayload: 0 } } })).toEqual({
      ok: false,
      issues: [{ path: 'gateway.policy.maxPayload', message: 'must be >= 1' }],
    });
    expect(await validateConfig({ env: { A: 1 } })).toEqual({ ok: false, issues: [{ path: 'env.A', message: 'must be string' }] });
    expect(await validateConfig({ gateway: { mode: 'local' } })).toEqual({ ok: true, config: { gateway: { mode: 'local' } } });
  });
});
