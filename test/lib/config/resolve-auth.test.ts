import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { assertBindAllowed, resolveBindHosts, resolveGatewayAuth } from '../../../lib/config/resolve-auth.js';

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('CONFIG_INVALID');
    return (err as GatewayError).message;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('resolveGatewayAuth', () => {
  const config = { gateway: { auth: { token: 'cfg-token' } } };
  const env = { OPENCLAW_GATEWAY_TOKEN: 'env-token', CLAWDBOT_GATEWAY_TOKEN: 'legacy-token' };

  it('token: flag > config > OPENCLAW_GATEWAY_TOKEN > CLAWDBOT_GATEWAY_TOKEN', () => {
    expect(resolveGatewayAuth({ config, env, flags: { token: 'flag-token' } })).toEqual({ mode: 'token', token: 'flag-token' });
    expect(resolveGatewayAuth({ config, env })).toEqual({ mode: 'token', token: 'cfg-token' });
    expect(resolveGatewayAuth({ config: {}, env })).toEqual({ mode: 'token', token: 'env-token' });
    expect(resolveGatewayAuth({ config: {}, env: { CLAWDBOT_GATEWAY_TOKEN: 'legacy-token' } })).toEqual({
      mode: 'token',
      token: 'legacy-token',
    });
    expect(resolveGatewayAuth({ config: {}, env: {} })).toEqual({ mode: 'token' });
  });

  it('blank values do not shadow later sources', () => {
    expect(resolveGatewayAuth({ config: { gateway: { auth: { token: '' } } }, env, flags: { token: '' } }).token).toBe(
      'env-token',
    );
  });

  it('password: flag > config > OPENCLAW_GATEWAY_PASSWORD, and selects password mode when unset', () => {
    const pwConfig = { gateway: { auth: { password: 'cfg-pw' } } };
    const pwEnv = { OPENCLAW_GATEWAY_PASSWORD: 'env-pw' };
    expect(resolveGatewayAuth({ config: pwConfig, env: pwEnv, flags: { password: 'flag-pw' } })).toEqual({
      mode: 'password',
      password: 'flag-pw',
    });
    expect(resolveGatewayAuth({ config: pwConfig, env: pwEnv })).toEqual({ mode: 'password', password: 'cfg-pw' });
    expect(resolveGatewayAuth({ config: {}, env: pwEnv })).toEqual({ mode: 'password', password: 'env-pw' });
  });

  it('an explicit mode wins: --auth > gateway.auth.mode', () => {
    const both = { gateway: { auth: { mode: 'token' as const, token: 't', password: 'p' } } };
    expect(resolveGatewayAuth({ config: both, env: {} }).mode).toBe('token');
    expect(resolveGatewayAuth({ config: both, env: {}, flags: { auth: 'password' } }).mode).toBe('password');
    expect(configError(() => resolveGatewayAuth({ config: both, env: {}, flags: { auth: 'none' } }))).toMatch(
      /invalid --auth "none"/,
    );
  });
});

describe('assertBindAllowed', () => {
  it('allows loopback without a secret', () => {
    expect(() => assertBindAllowed('loopback', { mode: 'token' })).not.toThrow();
    expect(() => assertBindAllowed(undefined, { mode: 'token' })).not.toThrow();
    expect(() => assertBindAllowed('auto', { mode: 'password' })).not.toThrow();
  });

  it('refuses to bind beyond loopback without the secret of the active mode', () => {
    expect(configError(() => assertBindAllowed('lan', { mode: 'token' }))).toMatch(
      /refusing to bind the gateway to lan without a token/,
    );
    expect(configError(() => assertBindAllowed('custom', { mode: 'password', token: 't' }))).toMatch(
      /without a password/,
    );
    expect(() => assertBindAllowed('lan', { mode: 'token', token: 't' })).not.toThrow();
    expect(() => assertBindAllowed('lan', { mode: 'password', password: 'p' })).not.toThrow();
  });
});

describe('resolveBindHosts', () => {
  it('maps bind modes to hosts', () => {
    expect(resolveBindHosts(undefined)).toEqual(['127.0.0.1', '::1']);
    expect(resolveBindHosts('loopback')).toEqual(['127.0.0.1', '::1']);
    expect(resolveBindHosts('auto')).toEqual(['127.0.0.1', '::1']);
    expect(resolveBindHosts('lan')).toEqual(['0.0.0.0']);
    expect(resolveBindHosts('custom', '10.0.0.5')).toEqual(['10.0.0.5']);
  });

  it('fails clearly for custom without a host and for tailnet', () => {
    expect(configError(() => resolveBindHosts('custom'))).toMatch(/customBindHost is not set/);
    expect(configError(() => resolveBindHosts('tailnet'))).toBe('tailnet bind needs tailscale, not available');
  });
});
