import { GatewayError } from '../errors.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import type { EnvMap } from './paths.js';
import { resolveSecretInput } from './secret-input.js';

export type GatewayAuthMode = 'token' | 'password';
export type GatewayBindMode = NonNullable<NonNullable<OpenClawConfig['gateway']>['bind']>;

export interface ResolvedGatewayAuth {
  mode: GatewayAuthMode;
  token?: string;
  password?: string;
}

export interface GatewayAuthFlags {
  token?: string;
  password?: string;
  /** `--auth`, unchecked as the CLI parsed it. */
  auth?: string;
}

export interface ResolveGatewayAuthInput {
  config: OpenClawConfig;
  env: EnvMap;
  flags?: GatewayAuthFlags;
}

/**
 * The shared secret the gateway checks. Token: flag > gateway.auth.token > OPENCLAW_GATEWAY_TOKEN >
 * CLAWDBOT_GATEWAY_TOKEN; password: flag > gateway.auth.password > OPENCLAW_GATEWAY_PASSWORD.
 * Without an explicit mode, a configured password selects password mode.
 */
export function resolveGatewayAuth(input: ResolveGatewayAuthInput): ResolvedGatewayAuth {
  const { env, flags = {} } = input;
  const configured = input.config.gateway?.auth;
  const token = firstSet(flags.token, resolveSecretInput(configured?.token, env, 'gateway.auth.token'), env.OPENCLAW_GATEWAY_TOKEN, env.CLAWDBOT_GATEWAY_TOKEN);
  const password = firstSet(flags.password, resolveSecretInput(configured?.password, env, 'gateway.auth.password'), env.OPENCLAW_GATEWAY_PASSWORD);
  const mode = checkMode(firstSet(flags.auth)) ?? configuredMode(configured?.mode) ?? (password === undefined ? 'token' : 'password');
  const auth: ResolvedGatewayAuth = { mode };
  if (token !== undefined) auth.token = token;
  if (password !== undefined) auth.password = password;
  return auth;
}

/** Anything reachable beyond this host must demand the secret of the active auth mode. */
export function assertBindAllowed(bindMode: GatewayBindMode | undefined, auth: ResolvedGatewayAuth): void {
  if (bindMode === undefined || bindMode === 'loopback' || bindMode === 'auto') return;
  if (auth.mode === 'token' && auth.token === undefined) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `refusing to bind the gateway to ${bindMode} without a token: set gateway.auth.token or OPENCLAW_GATEWAY_TOKEN, or bind to loopback`,
    );
  }
  if (auth.mode === 'password' && auth.password === undefined) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `refusing to bind the gateway to ${bindMode} without a password: set gateway.auth.password or OPENCLAW_GATEWAY_PASSWORD, or bind to loopback`,
    );
  }
}

/** Hosts to listen on for a bind mode; `auto` stays on loopback. */
export function resolveBindHosts(bind: GatewayBindMode | undefined, customBindHost?: string): string[] {
  switch (bind ?? 'loopback') {
    case 'loopback':
    case 'auto':
      return ['127.0.0.1', '::1'];
    case 'lan':
      return ['0.0.0.0'];
    case 'custom': {
      const host = customBindHost?.trim();
      if (!host) {
        throw new GatewayError('CONFIG_INVALID', 'gateway.bind is "custom" but gateway.customBindHost is not set');
      }
      return [host];
    }
    case 'tailnet':
      throw new GatewayError('CONFIG_INVALID', 'tailnet bind needs tailscale, not available');
    default:
      throw new GatewayError(
        'CONFIG_INVALID',
        `unknown bind mode ${JSON.stringify(bind)}: expected loopback, lan, tailnet, auto or custom`,
      );
  }
}

/** Upstream also knows `none` and `trusted-proxy`; this gateway always demands a secret. */
function configuredMode(mode: string | undefined): GatewayAuthMode | undefined {
  if (mode === undefined || mode === 'token' || mode === 'password') return mode;
  throw new GatewayError('CONFIG_INVALID', `gateway.auth.mode "${mode}" is not supported by this gateway: use "token" or "password"`);
}

function checkMode(mode: string | undefined): GatewayAuthMode | undefined {
  if (mode === undefined || mode === 'token' || mode === 'password') return mode;
  throw new GatewayError('CONFIG_INVALID', `invalid --auth ${JSON.stringify(mode)}: expected token or password`);
}

// Blank values count as unset so an empty env var or flag does not shadow a configured secret.
function firstSet(...values: (string | undefined)[]): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '');
}
