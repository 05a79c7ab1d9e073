import { safeEqual } from './safe-equal.js';

export interface GatewayAuthConfig {
  mode: 'token' | 'password';
  token?: string;
  password?: string;
}

export type SharedAuthReason =
  | 'token_missing'
  | 'token_mismatch'
  | 'token_missing_config'
  | 'password_missing'
  | 'password_mismatch'
  | 'password_missing_config';

export type SharedAuthResult = { ok: true; method: 'token' | 'password' } | { ok: false; reason: SharedAuthReason };

/** Checks a presented shared secret against the configured one in constant time. */
export function checkSharedAuth(
  config: GatewayAuthConfig,
  presented: { token?: string; password?: string } | undefined,
): SharedAuthResult {
  if (config.mode === 'password') {
    if (!config.password) return { ok: false, reason: 'password_missing_config' };
    if (!presented?.password) return { ok: false, reason: 'password_missing' };
    return safeEqual(presented.password, config.password)
      ? { ok: true, method: 'password' }
      : { ok: false, reason: 'password_mismatch' };
  }
  if (!config.token) return { ok: false, reason: 'token_missing_config' };
  if (!presented?.token) return { ok: false, reason: 'token_missing' };
  return safeEqual(presented.token, config.token) ? { ok: true, method: 'token' } : { ok: false, reason: 'token_mismatch' };
}

const DETAIL_CODES: Record<SharedAuthReason, string> = {
  token_missing: 'AUTH_TOKEN_MISSING',
  token_mismatch: 'AUTH_TOKEN_MISMATCH',
  token_missing_config: 'AUTH_TOKEN_NOT_CONFIGURED',
  password_missing: 'AUTH_PASSWORD_MISSING',
  password_mismatch: 'AUTH_PASSWORD_MISMATCH',
  password_missing_config: 'AUTH_PASSWORD_NOT_CONFIGURED',
};

/** The human message and structured details of an auth failure, worded as upstream does. */
export function describeAuthFailure(reason: SharedAuthReason, clientId: string): { message: string; details: object } {
  const secret = reason.startsWith('password') ? 'password' : 'token';
  const hint =
    clientId === 'cli'
      ? `set gateway.remote.${secret} to match gateway.auth.${secret}`
      : clientId === 'openclaw-control-ui' || clientId === 'webchat-ui' || clientId === 'webchat'
        ? `open the dashboard URL with the ${secret}, or paste the ${secret} in the Control UI settings`
        : `provide gateway auth ${secret}`;
  const what: Record<SharedAuthReason, string> = {
    token_missing: `gateway token missing (${hint})`,
    token_mismatch: `gateway token mismatch (${hint})`,
    token_missing_config: 'gateway token not configured on gateway (set gateway.auth.token)',
    password_missing: `gateway password missing (${hint})`,
    password_mismatch: `gateway password mismatch (${hint})`,
    password_missing_config: 'gateway password not configured on gateway (set gateway.auth.password)',
  };
  return { message: `unauthorized: ${what[reason]}`, details: { code: DETAIL_CODES[reason], reason } };
}
