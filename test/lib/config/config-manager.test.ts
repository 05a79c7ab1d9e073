import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigManager, type ConfigRestartRequest } from '../../../lib/config/config-manager.js';
import { REDACTED_SENTINEL } from '../../../lib/config/config-redaction.js';
import { consumeRestartSentinel } from '../../../lib/config/restart-sentinel.js';
import type { Gateway } from '../../../lib/gateway.js';
import { configPlugin } from '../../../lib/plugins/config-plugin.js';
import { configSchema } from '../../../lib/protocol/generated/config-schema.js';
import { call } from '../../helpers/connect.js';
import { callOk, memoryPeer } from '../../helpers/memory-peer.js';
import type { RawPeer } from '../../helpers/raw-peer.js';
import { createTestGateway } from '../../transports/contract.js';

const dirs: string[] = [];
const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const RAW = `// the operator's file, JSON5 with comments
{
  gateway: { mode: 'local', port: 18789, auth: { token: 'tok-1234567890' } },
  models: { providers: { openai: { apiKey: 'sk-short', apiKeyEnv: 'OPENAI_KEY' } } },
  logging: { level: 'info' },
  env: { EXTRA_SECRET: 'e' },
}
`;

async function setup(raw: string | null = RAW, env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-cfg-'));
  dirs.push(dir);
  const path = join(dir, 'openclaw.json');
  if (raw !== null) await writeFile(path, raw, { mode: 0o600 });
  const manager = new ConfigManager({ path, env, stateDir: dir, version: '1.2.3', profile: 'work', now: () => 1234 });
  const restarts: ConfigRestartRequest[] = [];
  manager.on('restart-requested', (r) => restarts.push(r));
  const gateway = createTestGateway();
  gateway.use(configPlugin(manager));
  await gateway.start();
  gateways.push(gateway);
  const peer = await memoryPeer(gateway);
  return { dir, path, manager, gateway, peer, restarts };
}

async function errorOf(peer: RawPeer, method: string, params: unknown) {
  const res = await call(peer, method, params);
  expect(res.ok).toBe(false);
  return res.error;
}

describe('config.get', () => {
  it('returns the snapshot of protocol §6.11 with secrets redacted and the hash of the stored text', async () => {
    const { path, peer } = await setup();
    const snapshot = await callOk(peer, 'config.get', {});
    expect(Object.keys(snapshot).sort()).toEqual(['config', 'exists', 'hash', 'issues', 'legacyIssues', 'parsed', 'path', 'raw', 'valid', 'warnings']);
    expect(snapshot).toMatchObject({ path, exists: true, valid: true, hash: sha256(RAW), issues: [], warnings: [], legacyIssues: [] });
    expect(snapshot.parsed.gateway.auth.token).toBe(REDACTED_SENTINEL);
    expect(snapshot.parsed.models.providers.openai).toEqual({ apiKey: REDACTED_SENTINEL, apiKeyEnv: 'OPENAI_KEY' });
    expect(snapshot.parsed.env.EXTRA_SECRET).toBe(REDACTED_SENTINEL);
    expect(snapshot.config.gateway.auth.token).toBe(REDACTED_SENTINEL);
    // Defaults applied to config, not to parsed.
    expect(snapshot.config.gateway.reload).toEqual({ mode: 'hybrid', debounceMs: 300 });
    expect(snapshot.parsed.gateway.reload).toBeUndefined();
    // The raw text keeps comments and layout; secrets are gone from it too.
    expect(snapshot.raw).toContain("// the operator's file");
    expect(snapshot.raw).not.toContain('tok-1234567890');
    expect(snapshot.raw).not.toContain('sk-short');
    expect(snapshot.raw).toContain(`token: "${REDACTED_SENTINEL}"`);
    expect(snapshot.raw).toContain("apiKeyEnv: 'OPENAI_KEY'");
  });

  it('a missing file: exists false, raw null, hash of ""', async () => {
    const { peer } = await setup(null);
    const snapshot = await callOk(peer, 'config.get', {});
    expect(snapshot).toMatchObject({ exists: false, raw: null, parsed: {}, valid: true, hash: sha256(''), issues: [] });
  });

  it('an invalid file is reported, not thrown', async () => {
    const { peer } = await setup('{ gateway: { port: "x" }, bogus: 1 }');
    const snapshot = await callOk(peer, 'config.get', {});
    expect(snapshot.valid).toBe(false);
    expect(snapshot.issues).toEqual([
      { path: 'bogus', message: 'unknown key' },
      { path: 'gateway.port', message: 'must be integer' },
    ]);
    const syntax = await callOk((await setup('{ nope')).peer, 'config.get', {});
    expect(syntax.valid).toBe(false);
    expect(syntax.parsed).toBeNull();
    expect(syntax.issues[0].message).toMatch(/syntax error/);
  });

  it('warns when the file is readable by others', async () => {
    const { path, peer } = await setup();
    await writeFile(path, RAW, { mode: 0o644 });
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o644);
    const snapshot = await callOk(peer, 'config.get', {});
    expect(snapshot.warnings).toEqual([expect.objectContaining({ path: '(file)', message: expect.stringContaining('expected 600') })]);
  });

  it('is admin-only', async () => {
    const { gateway } = await setup();
    const reader = await memoryPeer(gateway, ['operator.read', 'operator.write']);
    for (const method of ['config.get', 'config.set', 'config.patch', 'config.apply', 'config.schema']) {
      const error = await errorOf(reader, method, method === 'config.get' || method === 'config.schema' ? {} : { raw: '{}' });
      expect(error).toMatchObject({ code: 'INVALID_REQUEST', message: 'missing scope: operator.admin' });
    }
  });
});

describe('base hash rules', () => {
  it('set/patch/apply need the hash of the file as last read', async () => {
    const { peer, path } = await setup();
    for (const method of ['config.set', 'config.patch', 'config.apply']) {
      expect(await errorOf(peer, method, { raw: '{}' })).toEqual({
        code: 'INVALID_REQUEST',
        message: 'config base hash required; re-run config.get and retry',
      });
      expect(await errorOf(peer, method, { raw: '{}', baseHash: 'stale' })).toEqual({
        code: 'INVALID_REQUEST',
        message: 'config changed since last load; re-run config.get and retry',
      });
    }
    // Nothing was written by the refused calls.
    expect(await readFile(path, 'utf8')).toBe(RAW);
  });

  it('a concurrent writer makes the second call stale', async () => {
    const { peer } = await setup();
    const { hash } = await callOk(peer, 'config.get', {});
    const raw = "{ gateway: { mode: 'local', auth: { token: 'tok-1234567890' } } }";
    const [first, second] = await Promise.all([call(peer, 'config.set', { raw, baseHash: hash }), call(peer, 'config.set', { raw, baseHash: hash })]);
    expect(first.ok).toBe(true);
    expect(second.error.message).toBe('config changed since last load; re-run config.get and retry');
  });

  it('when the file does not exist no hash is needed', async () => {
    const { peer, path } = await setup(null);
    const result = await callOk(peer, 'config.set', { raw: "{ gateway: { mode: 'local' } }" });
    expect(result).toEqual({ ok: true, path, config: { gateway: { mode: 'local' } } });
  });
});

describe('config.set', () => {
  it('writes the raw text verbatim (comments kept), 0600, with a backup, and never restarts', async () => {
    const { peer, path, restarts, dir } = await setup();
    const { hash } = await callOk(peer, 'config.get', {});
    const raw = "// new\n{ gateway: { mode: 'local', auth: { token: 'tok-abcdef123456' } } }\n";
    const result = await callOk(peer, 'config.set', { raw, baseHash: hash });
    expect(result).toEqual({ ok: true, path, config: { gateway: { mode: 'local', auth: { token: REDACTED_SENTINEL } } } });
    expect(await readFile(path, 'utf8')).toBe(raw);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(`${path}.bak`, 'utf8')).toBe(RAW);
    expect((await stat(`${path}.bak`)).mode & 0o777).toBe(0o600);
    expect(restarts).toEqual([]);
    expect(await readdir(dir)).not.toContain('restart-sentinel.json');
  });

  it('keeps five backups, newest in .bak', async () => {
    const { peer, path } = await setup();
    for (let i = 0; i < 7; i++) {
      const { hash } = await callOk(peer, 'config.get', {});
      await callOk(peer, 'config.set', { raw: `{ logging: { file: '/tmp/v${i}.log' } }`, baseHash: hash });
    }
    const names = (await readdir(join(path, '..'))).filter((n) => n.includes('.bak')).sort();
    expect(names).toEqual(['openclaw.json.bak', 'openclaw.json.bak.1', 'openclaw.json.bak.2', 'openclaw.json.bak.3', 'openclaw.json.bak.4']);
    expect(await readFile(`${path}.bak`, 'utf8')).toContain('/tmp/v5.log');
    expect(await readFile(`${path}.bak.4`, 'utf8')).toContain('/tmp/v1.log');
  });

  it('an invalid config is refused with the issues and the file is untouched', async () => {
    const { peer, path } = await setup();
    const { hash } = await callOk(peer, 'config.get', {});
    const error = await errorOf(peer, 'config.set', { raw: '{ gateway: { port: 0, bind: "moon" } }', baseHash: hash });
    expect(error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'invalid config',
      details: {
        issues: [
          { path: 'gateway.bind', message: 'must be one of "loopback", "lan", "tailnet", "auto", "custom"' },
          { path: 'gateway.port', message: 'must be >= 1' },
        ],
      },
    });
    const syntax = await errorOf(peer, 'config.set', { raw: '{ oops', baseHash: hash });
    expect(syntax.code).toBe('INVALID_REQUEST');
    expect(syntax.message).toMatch(/^invalid config\.set raw: JSON5 parse failed: /);
    expect(await readFile(path, 'utf8')).toBe(RAW);
  });

  it('a redacted secret sent back keeps the stored value', async () => {
    const { peer, path } = await setup();
    const snapshot = await callOk(peer, 'config.get', {});
    const edited = snapshot.raw.replace("level: 'info'", "level: 'debug'");
    await callOk(peer, 'config.set', { raw: edited, baseHash: snapshot.hash });
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written.gateway.auth.token).toBe('tok-1234567890');
    expect(written.models.providers.openai.apiKey).toBe('sk-short');
    expect(written.logging.level).toBe('debug');
    const again = await callOk(peer, 'config.get', {});
    const error = await errorOf(peer, 'config.set', { raw: JSON.stringify({ hooks: { token: REDACTED_SENTINEL } }), baseHash: again.hash });
    expect(error.message).toBe(`config has ${REDACTED_SENTINEL} at hooks.token but no stored value to keep`);
  });
});

describe('config.patch', () => {
  it('merge-patches the stored file (null deletes, arrays replace), then asks for a restart with a sentinel', async () => {
    const { peer, path, dir, restarts } = await setup(
      JSON.stringify({ gateway: { mode: 'local', trustedProxies: ['a', 'b'], auth: { token: 'tok-1234567890' } }, logging: { level: 'info', file: '/x.log' } }),
    );
    const { hash } = await callOk(peer, 'config.get', {});
    const result = await callOk(peer, 'config.patch', {
      raw: JSON.stringify({ gateway: { trustedProxies: ['c'] }, logging: { file: null, level: 'debug' } }),
      baseHash: hash,
      sessionKey: 'agent:main:main',
      note: 'tune logging',
    });
    const written = JSON.parse(await readFile(path, 'utf8'));
    expect(written).toEqual({ gateway: { mode: 'local', trustedProxies: ['c'], auth: { token: 'tok-1234567890' } }, logging: { level: 'debug' } });
    const payload = {
      kind: 'config-apply',
      status: 'ok',
      ts: 1234,
      sessionKey: 'agent:main:main',
      message: 'tune logging',
      doctorHint: 'Run: openclaw --profile work doctor',
      stats: { mode: 'config.patch', root: path },
    };
    expect(result).toEqual({
      ok: true,
      path,
      config: { gateway: { mode: 'local', trustedProxies: ['c'], auth: { token: REDACTED_SENTINEL } }, logging: { level: 'debug' } },
      restart: { ok: true, delayMs: 2000, reason: 'config.patch: tune logging', signal: 'SIGUSR1', mode: 'emit' },
      sentinel: { path: join(dir, 'restart-sentinel.json'), payload },
    });
    expect(restarts).toEqual([{ reason: 'config.patch: tune logging', delayMs: 2000, mode: 'config.patch', sentinel: payload }]);
    expect(await consumeRestartSentinel(dir)).toEqual(payload);
    expect(await consumeRestartSentinel(dir)).toBeUndefined();
  });

  it('needs a valid current config and an object patch', async () => {
    const bad = await setup('{ bogus: true }');
    const { hash } = await callOk(bad.peer, 'config.get', {});
    expect(await errorOf(bad.peer, 'config.patch', { raw: '{}', baseHash: hash })).toEqual({
      code: 'INVALID_REQUEST',
      message: 'invalid config; fix before patching',
      details: { issues: [{ path: 'bogus', message: 'unknown key' }] },
    });
    const good = await setup();
    const current = await callOk(good.peer, 'config.get', {});
    expect((await errorOf(good.peer, 'config.patch', { raw: '[1]', baseHash: current.hash })).message).toBe('config.patch raw must be an object');
    const invalid = await errorOf(good.peer, 'config.patch', { raw: '{ gateway: { port: -1 } }', baseHash: current.hash });
    expect(invalid).toMatchObject({ message: 'invalid config', details: { issues: [{ path: 'gateway.port', message: 'must be >= 1' }] } });
    expect(good.restarts).toEqual([]);
  });
});

describe('config.apply', () => {
  it('replaces the file, clamps the restart delay and says when nobody can restart', async () => {
    const { peer, path, restarts } = await setup();
    const { hash } = await callOk(peer, 'config.get', {});
    const raw = "{ gateway: { mode: 'local', auth: { token: 'tok-1234567890' } } }";
    const result = await callOk(peer, 'config.apply', { raw, baseHash: hash, restartDelayMs: 999_999 });
    expect(await readFile(path, 'utf8')).toBe(`${raw}\n`);
    expect(result.restart).toMatchObject({ ok: true, delayMs: 60_000 });
    expect(result.sentinel.payload).toMatchObject({ kind: 'config-apply', message: null, stats: { mode: 'config.apply', root: path } });
    expect(result.sentinel.payload.sessionKey).toBeUndefined();
    expect(restarts).toHaveLength(1);

    // A manager nobody listens to cannot restart, and says so instead of pretending.
    const lonely = new ConfigManager({ path });
    const again = await lonely.apply({ raw, baseHash: createHash('sha256').update(`${raw}\n`).digest('hex'), restartDelayMs: 0 });
    expect(again.restart).toEqual({ ok: false, delayMs: 0, reason: 'config.apply', error: 'no restart handler in this process; restart the gateway to apply' });
    expect(again.sentinel.path).toBeNull();
  });
});

describe('config.schema', () => {
  it('returns the config JSON Schema with ui hints; secrets are sensitive', async () => {
    const { peer } = await setup();
    const result = await callOk(peer, 'config.schema', {});
    // Inlined: the upstream Control UI's form renderer follows no $ref.
    expect(JSON.stringify(result.schema)).not.toContain('$ref');
    expect(result.schema.definitions).toBeUndefined();
    const schema = result.schema as { properties: Record<string, { properties?: Record<string, unknown> }> };
    expect(Object.keys(schema.properties)).toEqual(Object.keys(configSchema.properties));
    expect(schema.properties.channels!.properties!.telegram).toMatchObject({ properties: { dmPolicy: { enum: expect.arrayContaining(['pairing', 'open']) } } });
    expect(result.uiHints['channels.telegram.botToken'].sensitive).toBe(true);
    expect(result.uiHints['channels.telegram.accounts.*.botToken'].sensitive).toBe(true);
    expect(result.version).toBe('1.2.3');
    expect(new Date(result.generatedAt).toString()).not.toBe('Invalid Date');
    expect(result.uiHints['gateway.auth.token']).toMatchObject({ label: 'Token', sensitive: true, group: 'gateway' });
    expect(result.uiHints['gateway.auth.password'].sensitive).toBe(true);
    expect(result.uiHints['models.providers.*.apiKey'].sensitive).toBe(true);
    expect(result.uiHints['models.providers.*.apiKeyEnv'].sensitive).toBeUndefined();
    expect(result.uiHints['models.providers.*.models[].maxTokens'].sensitive).toBeUndefined();
    expect(result.uiHints['env.*'].sensitive).toBe(true);
    expect(result.uiHints['gateway.controlUi.allowInsecureAuth']).toMatchObject({ label: 'Allow Insecure Auth', help: expect.any(String) });
    expect(result.uiHints.gateway).toMatchObject({ order: 0, group: 'gateway' });
  });
});
