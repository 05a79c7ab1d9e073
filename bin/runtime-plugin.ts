import type { OpenClawConfig } from '../lib/config/index.js';
import type { Gateway, GatewayOptions } from '../lib/gateway.js';
import type { Logger } from '../lib/logger.js';
import type { HttpRouter } from '../transports/http.js';

export interface RuntimeContext {
  config: OpenClawConfig;
  env: Record<string, string | undefined>;
  stateDir: string;
  configPath: string;
  workspaceDir: string;
  version: string;
  /** The gateway's port as bound (after `--port 0` resolution); 0 in --stdio mode. */
  port: number;
  hosts: string[];
  logger: Logger;
}

/**
 * A feature the CLI runtime assembles around the core (HTTP routes, extra listeners, extra
 * methods). Each is a module listed in `bin/runtime-plugins.ts`; the core never grows flags for them.
 */
export interface RuntimePlugin {
  readonly name: string;
  /** Adds to the Gateway options before the Gateway is built (e.g. `canvasHostUrl`). */
  gatewayOptions?(ctx: RuntimeContext): Partial<GatewayOptions> | Promise<Partial<GatewayOptions>>;
  /** Registers methods, event listeners and HTTP routes once the Gateway exists (before start). */
  setup?(ctx: RuntimeContext & { gateway: Gateway; http: HttpRouter }): void | Promise<void>;
  /** Stops whatever `setup` started. Called once, after the gateway has closed. */
  stop?(): void | Promise<void>;
}
