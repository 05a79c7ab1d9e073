import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import {
  derivedPorts,
  resolveCanvasPort,
  resolvePaths,
  resolvePort,
  resolveProfile,
} from '../../../lib/config/paths.js';

const HOME = '/home/alice';

function configError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('CONFIG_INVALID');
    return err as GatewayError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('resolveProfile', () => {
  it('--dev is profile dev and defaults the port to 19001', () => {
    expect(resolveProfile({ dev: true }, {})).toEqual({
      profile: 'dev',
      env: { OPENCLAW_PROFILE: 'dev', OPENCLAW_GATEWAY_PORT: '19001' },
    });
  });

  it('--dev keeps a port already set in the environment', () => {
    expect(resolveProfile({ dev: true }, { OPENCLAW_GATEWAY_PORT: '20000' }).env).toEqual({ OPENCLAW_PROFILE: 'dev' });
  });

  it('--profile sets OPENCLAW_PROFILE and nothing else', () => {
    expect(resolveProfile({ profile: 'work_2-b' }, {})).toEqual({
      profile: 'work_2-b',
      env: { OPENCLAW_PROFILE: 'work_2-b' },
    });
  });

  it('without flags reads the inherited profile, else default', () => {
    expect(resolveProfile({}, { OPENCLAW_PROFILE: 'ops' })).toEqual({ profile: 'ops', env: {} });
    expect(resolveProfile({}, {})).toEqual({ profile: 'default', env: {} });
  });

  it('a flag wins over the inherited profile', () => {
    expect(resolveProfile({ profile: 'b' }, { OPENCLAW_PROFILE: 'a' }).profile).toBe('b');
  });

  it('rejects --dev together with --profile', () => {
    expect(configError(() => resolveProfile({ dev: true, profile: 'x' }, {})).message).toMatch(
      /cannot combine --dev with --profile/,
    );
  });

  it.each(['a b', 'a/b', '', '../etc', 'ü'])('rejects the profile name %j', (name) => {
    expect(configError(() => resolveProfile({ profile: name }, {})).message).toMatch(/invalid profile name/);
  });

  it('rejects an invalid inherited profile', () => {
    expect(configError(() => resolveProfile({}, { OPENCLAW_PROFILE: 'a b' })).message).toMatch(/OPENCLAW_PROFILE/);
  });
});

describe('resolvePaths', () => {
  it('defaults to ~/.openclaw', () => {
    expect(resolvePaths({}, HOME)).toEqual({
      profile: 'default',
      stateDir: join(HOME, '.openclaw'),
      configPath: join(HOME, '.openclaw', 'openclaw.json'),
      workspaceDir: join(HOME, '.openclaw', 'workspace'),
    });
  });

  it('the profile "default" is the plain ~/.openclaw', () => {
    expect(resolvePaths({ OPENCLAW_PROFILE: 'default' }, HOME).stateDir).toBe(join(HOME, '.openclaw'));
  });

  it('a dev profile gets its own state dir and a workspace beside the default one', () => {
    const env = { ...resolveProfile({ dev: true }, {}).env };
    expect(resolvePaths(env, HOME)).toEqual({
      profile: 'dev',
      stateDir: join(HOME, '.openclaw-dev'),
      configPath: join(HOME, '.openclaw-dev', 'openclaw.json'),
      workspaceDir: join(HOME, '.openclaw', 'workspace-dev'),
    });
  });

  it('OPENCLAW_STATE_DIR moves state and config; OPENCLAW_CONFIG_PATH moves only the config', () => {
    expect(resolvePaths({ OPENCLAW_PROFILE: 'p', OPENCLAW_STATE_DIR: '/srv/oc' }, HOME)).toMatchObject({
      stateDir: '/srv/oc',
      configPath: join('/srv/oc', 'openclaw.json'),
      workspaceDir: join(HOME, '.openclaw', 'workspace-p'),
    });
    expect(resolvePaths({ OPENCLAW_CONFIG_PATH: '~/cfg/oc.json5' }, HOME)).toMatchObject({
      stateDir: join(HOME, '.openclaw'),
      configPath: join(HOME, 'cfg', 'oc.json5'),
    });
  });

  it('treats blank variables as unset', () => {
    expect(resolvePaths({ OPENCLAW_STATE_DIR: '', OPENCLAW_PROFILE: ' ' }, HOME).stateDir).toBe(join(HOME, '.openclaw'));
  });
});

describe('resolvePort', () => {
  const config = { gateway: { port: 20000 } };
  const env = { OPENCLAW_GATEWAY_PORT: '19001' };

  it('follows --port > env > config > default', () => {
    expect(resolvePort({ flag: '18000', env, config })).toEqual({ port: 18000, source: 'flag' });
    expect(resolvePort({ flag: 18000, env, config })).toEqual({ port: 18000, source: 'flag' });
    expect(resolvePort({ env, config })).toEqual({ port: 19001, source: 'env' });
    expect(resolvePort({ env: {}, config })).toEqual({ port: 20000, source: 'config' });
    expect(resolvePort({ env: {}, config: {} })).toEqual({ port: 18789, source: 'default' });
  });

  it('ignores a blank environment variable', () => {
    expect(resolvePort({ env: { OPENCLAW_GATEWAY_PORT: '' }, config })).toEqual({ port: 20000, source: 'config' });
  });

  it.each(['abc', '12.5', '1e3', '65536', '-1', '19001abc'])('rejects %j with the source named', (bad) => {
    expect(configError(() => resolvePort({ flag: bad, env: {}, config: {} })).message).toBe(
      `invalid port ${JSON.stringify(bad)} from --port: expected an integer between 0 and 65535`,
    );
    expect(configError(() => resolvePort({ env: { OPENCLAW_GATEWAY_PORT: bad }, config: {} })).message).toMatch(
      /from OPENCLAW_GATEWAY_PORT/,
    );
  });

  it('accepts 0 (any free port) from the flag and env, never from config', () => {
    expect(resolvePort({ flag: '0', env: {}, config: {} })).toEqual({ port: 0, source: 'flag' });
    expect(resolvePort({ env: { OPENCLAW_GATEWAY_PORT: '0' }, config: {} })).toEqual({ port: 0, source: 'env' });
    expect(configError(() => resolvePort({ env: {}, config: { gateway: { port: 0 } } })).message).toMatch(/between 1 and 65535/);
  });

  it('rejects a bad config port that skipped validation', () => {
    expect(configError(() => resolvePort({ env: {}, config: { gateway: { port: 3.5 } } })).message).toMatch(
      /from gateway\.port/,
    );
  });
});

describe('derived ports', () => {
  it('matches the documented layout for the default and dev ports', () => {
    expect(derivedPorts(18789)).toEqual({ browserControl: 18791, canvas: 18793, cdpStart: 18800, cdpEnd: 18899 });
    expect(derivedPorts(19001)).toMatchObject({ browserControl: 19003, canvas: 19005 });
  });

  it('canvas: OPENCLAW_CANVAS_HOST_PORT > canvasHost.port > gateway + 4', () => {
    const config = { canvasHost: { port: 30000 } };
    expect(resolveCanvasPort({ OPENCLAW_CANVAS_HOST_PORT: '31000' }, config, 19001)).toBe(31000);
    expect(resolveCanvasPort({}, config, 19001)).toBe(30000);
    expect(resolveCanvasPort({}, {}, 19001)).toBe(19005);
    expect(resolveCanvasPort({}, {}, 0)).toBe(0);
    expect(resolveCanvasPort({ OPENCLAW_CANVAS_HOST_PORT: '0' }, {}, 19001)).toBe(0);
    expect(configError(() => resolveCanvasPort({ OPENCLAW_CANVAS_HOST_PORT: 'x' }, {}, 19001)).message).toMatch(
      /OPENCLAW_CANVAS_HOST_PORT/,
    );
  });
});
