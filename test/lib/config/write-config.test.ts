import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/load-config.js';
import { ensureGatewayToken, writeConfigFile } from '../../../lib/config/write-config.js';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openclaw-config-'));
  path = join(dir, 'state', 'openclaw.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string) => (await stat(p)).mode & 0o777;

describe('writeConfigFile', () => {
  it('writes pretty JSON with mode 0600, creating the directory', async () => {
    await writeConfigFile(path, { gateway: { port: 1 } });
    expect(await readFile(path, 'utf8')).toBe('{\n  "gateway": {\n    "port": 1\n  }\n}\n');
    expect(await mode(path)).toBe(0o600);
  });
});

describe('ensureGatewayToken', () => {
  it('generates a 48-hex token into a new file, with mode 0600', async () => {
    const result = await ensureGatewayToken({ path, config: {}, env: {} });
    if (!result.generated) throw new Error('expected a token');
    expect(result.token).toMatch(/^[0-9a-f]{48}$/);
    expect(result.config).toEqual({ gateway: { auth: { token: result.token } } });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ gateway: { auth: { token: result.token } } });
    expect(await mode(path)).toBe(0o600);
  });

  it('keeps other keys and ${VAR} references as written, and is idempotent', async () => {
    await mkdir(join(dir, 'state'));
    await writeFile(path, '// mine\n{ gateway: { mode: "local", auth: { mode: "token" } }, logging: { file: "${LOGS}/gw.log" } }');
    const env = { LOGS: '/var/log' };
    const first = await loadConfig({ path, env });
    const result = await ensureGatewayToken({ path, config: first.config, env, generate: () => 'fixed-token' });
    expect(result).toMatchObject({ generated: true, token: 'fixed-token' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      gateway: { mode: 'local', auth: { mode: 'token', token: 'fixed-token' } },
      logging: { file: '${LOGS}/gw.log' },
    });

    const before = await readFile(path, 'utf8');
    const second = await loadConfig({ path, env });
    expect(await ensureGatewayToken({ path, config: second.config, env })).toEqual({ generated: false });
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it.each([
    ['a configured token', { gateway: { auth: { token: 't' } } }, {}],
    ['a configured password', { gateway: { auth: { password: 'p' } } }, {}],
    ['OPENCLAW_GATEWAY_TOKEN', {}, { OPENCLAW_GATEWAY_TOKEN: 't' }],
    ['OPENCLAW_GATEWAY_PASSWORD', {}, { OPENCLAW_GATEWAY_PASSWORD: 'p' }],
  ])('does nothing with %s', async (_name, config, env) => {
    expect(await ensureGatewayToken({ path, config, env })).toEqual({ generated: false });
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
