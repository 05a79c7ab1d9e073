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
export { evaluateConfig, loadConfig, parseConfigText, validateConfig } from './load-config.js';
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
export { ConfigManager, DEFAULT_CONFIG_RESTART_DELAY_MS, MAX_CONFIG_RESTART_DELAY_MS } from './config-manager.js';
export type { ConfigManagerEvents, ConfigManagerOptions, ConfigRestartRequest } from './config-manager.js';
export { ConfigFileWatcher } from './config-file-watcher.js';
export type { ConfigFileWatcherOptions } from './config-file-watcher.js';
export {
  buildReloadPlan,
  DEFAULT_RELOAD_DEBOUNCE_MS,
  DEFAULT_RELOAD_MODE,
  diffConfigPaths,
  matchReloadRule,
} from './reload-plan.js';
export type { ReloadKind, ReloadMode, ReloadPlan, ReloadRule } from './reload-plan.js';
export { applyMergePatch } from './merge-patch.js';
export { REDACTED_SENTINEL, redactConfigValue } from './config-redaction.js';
export { buildConfigUiHints } from './config-ui-hints.js';
export { withConfigDefaults } from './config-defaults.js';
export { CONFIG_BACKUP_COUNT, rotateConfigBackups } from './config-backups.js';
export { consumeRestartSentinel, restartSentinelPath, writeRestartSentinel } from './restart-sentinel.js';
export type { OpenClawConfig } from '../protocol/generated/config.js';
