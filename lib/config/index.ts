export {
  DEFAULT_GATEWAY_PORT,
  DEFAULT_PROFILE,
  DEV_GATEWAY_PORT,
  derivedPorts,
  resolveCanvasPort,
  resolvePaths,
  resolvePort,
  resolveProfile,
} from './paths.js';
export type {
  DerivedPorts,
  EnvMap,
  PortInput,
  PortSource,
  ProfileFlags,
  ProfileResolution,
  ResolvedPaths,
} from './paths.js';
export { loadConfig, parseConfigText, validateConfig } from './load-config.js';
export type { ConfigIssue, ConfigValidation, LoadConfigOptions, LoadedConfig } from './load-config.js';
export { ensureGatewayToken, writeConfigFile } from './write-config.js';
export type { EnsureGatewayTokenOptions, EnsureGatewayTokenResult } from './write-config.js';
export { assertBindAllowed, resolveBindHosts, resolveGatewayAuth } from './resolve-auth.js';
export type {
  GatewayAuthFlags,
  GatewayAuthMode,
  GatewayBindMode,
  ResolveGatewayAuthInput,
  ResolvedGatewayAuth,
} from './resolve-auth.js';
export type { OpenClawConfig } from '../protocol/generated/config.js';
