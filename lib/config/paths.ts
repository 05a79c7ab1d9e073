import { join } from 'node:path';
import { GatewayError } from '../errors.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';

/** An environment to read from; injected so resolution never reaches for `process.env` itself. */
export type EnvMap = Readonly<Record<string, string | undefined>>;

export const DEFAULT_GATEWAY_PORT = 18789;
export const DEV_GATEWAY_PORT = 19001;
export const DEFAULT_PROFILE = 'default';

const PROFILE_NAME = /^[A-Za-z0-9_-]+$/;

export interface ProfileFlags {
  dev?: boolean;
  profile?: string;
}

export interface ProfileResolution {
  /** The active profile, `default` when none is set. */
  profile: string;
  /** Variables the caller should add to its environment (and to child services) before resolving paths. */
  env: Record<string, string>;
}

/**
 * Applies `--dev` / `--profile` on top of an environment that may already carry OPENCLAW_PROFILE
 * (a service started with it, or a parent CLI). Flags win over the environment.
 */
export function resolveProfile(flags: ProfileFlags, env: EnvMap): ProfileResolution {
  if (flags.dev && flags.profile !== undefined) {
    throw new GatewayError('CONFIG_INVALID', 'cannot combine --dev with --profile; --dev is the profile "dev"');
  }
  if (flags.dev) {
    const additions: Record<string, string> = { OPENCLAW_PROFILE: 'dev' };
    if (!present(env.OPENCLAW_GATEWAY_PORT)) additions.OPENCLAW_GATEWAY_PORT = String(DEV_GATEWAY_PORT);
    return { profile: 'dev', env: additions };
  }
  if (flags.profile !== undefined) {
    const profile = checkProfileName(flags.profile, '--profile');
    return { profile, env: { OPENCLAW_PROFILE: profile } };
  }
  return { profile: profileFromEnv(env), env: {} };
}

export interface ResolvedPaths {
  profile: string;
  stateDir: string;
  configPath: string;
  workspaceDir: string;
}

/** Where this profile keeps its state, config file and default agent workspace. */
export function resolvePaths(env: EnvMap, homedir: string): ResolvedPaths {
  const profile = profileFromEnv(env);
  const isDefault = profile === DEFAULT_PROFILE;
  const stateDir = present(env.OPENCLAW_STATE_DIR)
    ? expandHome(env.OPENCLAW_STATE_DIR.trim(), homedir)
    : join(homedir, isDefault ? '.openclaw' : `.openclaw-${profile}`);
  const configPath = present(env.OPENCLAW_CONFIG_PATH)
    ? expandHome(env.OPENCLAW_CONFIG_PATH.trim(), homedir)
    : join(stateDir, 'openclaw.json');
  // Workspaces of every profile live side by side under the default state dir, not the profile's.
  const workspaceDir = join(homedir, '.openclaw', isDefault ? 'workspace' : `workspace-${profile}`);
  return { profile, stateDir, configPath, workspaceDir };
}

export type PortSource = 'flag' | 'env' | 'config' | 'default';

export interface PortInput {
  /** `--port` as the CLI parsed it. */
  flag?: string | number;
  env: EnvMap;
  config: OpenClawConfig;
}

/** `--port` > OPENCLAW_GATEWAY_PORT > gateway.port > 18789. */
export function resolvePort(input: PortInput): { port: number; source: PortSource } {
  if (input.flag !== undefined && String(input.flag).trim() !== '') {
    return { port: parsePort(input.flag, '--port'), source: 'flag' };
  }
  if (present(input.env.OPENCLAW_GATEWAY_PORT)) {
    return { port: parsePort(input.env.OPENCLAW_GATEWAY_PORT, 'OPENCLAW_GATEWAY_PORT'), source: 'env' };
  }
  if (input.config.gateway?.port !== undefined) {
    return { port: parsePort(input.config.gateway.port, 'gateway.port'), source: 'config' };
  }
  return { port: DEFAULT_GATEWAY_PORT, source: 'default' };
}

export interface DerivedPorts {
  browserControl: number;
  canvas: number;
  cdpStart: number;
  cdpEnd: number;
}

/** Ports other services take relative to the gateway port; instances need 20+ ports between them. */
export function derivedPorts(base: number): DerivedPorts {
  const browserControl = base + 2;
  return { browserControl, canvas: base + 4, cdpStart: browserControl + 9, cdpEnd: browserControl + 108 };
}

/**
 * OPENCLAW_CANVAS_HOST_PORT > canvasHost.port > gateway port + 4. A gateway asked for port 0
 * gets an OS-chosen canvas port too (0), since "+ 4" of a port nobody chose means nothing.
 */
export function resolveCanvasPort(env: EnvMap, config: OpenClawConfig, gatewayPort: number): number {
  if (present(env.OPENCLAW_CANVAS_HOST_PORT)) {
    return parsePort(env.OPENCLAW_CANVAS_HOST_PORT, 'OPENCLAW_CANVAS_HOST_PORT');
  }
  if (config.canvasHost?.port !== undefined) return parsePort(config.canvasHost.port, 'canvasHost.port');
  return gatewayPort === 0 ? 0 : derivedPorts(gatewayPort).canvas;
}

function profileFromEnv(env: EnvMap): string {
  return present(env.OPENCLAW_PROFILE) ? checkProfileName(env.OPENCLAW_PROFILE, 'OPENCLAW_PROFILE') : DEFAULT_PROFILE;
}

function checkProfileName(name: string, source: string): string {
  const trimmed = name.trim();
  if (!PROFILE_NAME.test(trimmed)) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `invalid profile name ${JSON.stringify(name)} from ${source}: use letters, digits, "_" and "-" only`,
    );
  }
  return trimmed;
}

/** 0 is allowed from flags and env ("pick a free port", for tests and scripts), not from config. */
function parsePort(value: string | number, source: string): number {
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  const min = source === 'gateway.port' ? 1 : 0;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `invalid port ${JSON.stringify(value)} from ${source}: expected an integer between ${min} and 65535`,
    );
  }
  return port;
}

function expandHome(path: string, homedir: string): string {
  if (path === '~') return homedir;
  if (path.startsWith('~/')) return join(homedir, path.slice(2));
  return path;
}

// An empty variable counts as unset, as shells and service managers often export blanks.
function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
