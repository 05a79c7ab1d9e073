import type { OpenClawConfig } from '../protocol/generated/config.js';
import { DEFAULT_RELOAD_DEBOUNCE_MS, DEFAULT_RELOAD_MODE } from './reload-plan.js';

/**
 * The config with the defaults the gateway assumes for unset keys, as `config.get` reports it.
 * Only unconditional defaults: the port, for one, also depends on flags and the environment.
 */
export function withConfigDefaults(config: OpenClawConfig): OpenClawConfig {
  const gateway = config.gateway ?? {};
  const logging = config.logging ?? {};
  return {
    ...config,
    gateway: {
      ...gateway,
      bind: gateway.bind ?? 'loopback',
      reload: { mode: DEFAULT_RELOAD_MODE, debounceMs: DEFAULT_RELOAD_DEBOUNCE_MS, ...gateway.reload },
    },
    logging: { level: 'info', consoleLevel: 'info', consoleStyle: 'pretty', ...logging },
  };
}
