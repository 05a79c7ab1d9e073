import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GatewayError } from '../errors.js';
import { writeAtomic } from '../file-storage.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import { parseConfigText } from './load-config.js';
import type { EnvMap } from './paths.js';

/** Writes pretty JSON atomically with mode 0600: the file holds secrets. */
export async function writeConfigFile(path: string, config: unknown): Promise<void> {
  await writeAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

export interface EnsureGatewayTokenOptions {
  path: string;
  /** The effective (loaded) config, checked for an existing secret. */
  config: OpenClawConfig;
  /** Checked for OPENCLAW_GATEWAY_TOKEN / OPENCLAW_GATEWAY_PASSWORD; defaults to `process.env`. */
  env?: EnvMap;
  /** Token generator; defaults to 24 random bytes as 48 hex characters. */
  generate?: () => string;
}

export type EnsureGatewayTokenResult =
  | { generated: true; token: string; config: OpenClawConfig }
  | { generated: false };

/**
 * Auth is required even on loopback, so setup creates a token when no secret exists anywhere.
 * Idempotent: once the token is in the file, later calls find it and do nothing.
 */
export async function ensureGatewayToken(options: EnsureGatewayTokenOptions): Promise<EnsureGatewayTokenResult> {
  const env = options.env ?? process.env;
  const auth = options.config.gateway?.auth;
  if (
    isSet(auth?.token) ||
    isSet(auth?.password) ||
    isSet(env.OPENCLAW_GATEWAY_TOKEN) ||
    isSet(env.OPENCLAW_GATEWAY_PASSWORD)
  ) {
    return { generated: false };
  }
  const token = (options.generate ?? (() => randomBytes(24).toString('hex')))();
  // Patch the file as written, not the loaded config, so `${VAR}` references are not baked in.
  const onDisk = withToken(await readParsed(options.path), token);
  await writeConfigFile(options.path, onDisk);
  return { generated: true, token, config: withToken(options.config, token) as OpenClawConfig };
}

async function readParsed(path: string): Promise<Record<string, unknown>> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const parsed = parseConfigText(raw, path);
  // Refuse rather than replace a file we do not understand with a bare token.
  if (!isObject(parsed)) throw new GatewayError('CONFIG_INVALID', `invalid config ${path}: (root): must be object`);
  return parsed;
}

function withToken(config: object, token: string): Record<string, unknown> {
  const root = config as Record<string, unknown>;
  const gateway = isObject(root.gateway) ? root.gateway : {};
  const auth = isObject(gateway.auth) ? gateway.auth : {};
  return { ...root, gateway: { ...gateway, auth: { ...auth, token } } };
}

/** A secret reference (`{ source, provider, id }`) counts as set: the secret lives elsewhere. */
function isSet(value: string | object | undefined): boolean {
  return typeof value === 'object' || (value !== undefined && value.trim() !== '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
