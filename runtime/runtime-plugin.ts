import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenClawConfig } from '../lib/config/index.js';
import type { Gateway, GatewayOptions } from '../lib/gateway.js';
import type { GatewayPlugin } from '../lib/plugin.js';
import type { Logger } from '../lib/logger.js';
import type { HttpRouter } from '../transports/http.js';
import type { WebSocketTransport } from '../transports/ws.js';

export interface RuntimeContext {
  config: OpenClawConfig;
  env: Record<string, string | undefined>;
  stateDir: string;
  configPath: string;
  workspaceDir: string;
  version: string;
  /** The gateway's port as bound (after `--port 0` resolution); 0 in --stdio mode. */
  port: number;
  /** The port as configured (flag > env > config > default); 0 when the OS was asked to pick. */
  requestedPort: number;
  hosts: string[];
  logger: Logger;
}

/** A hot reload's news for one channel: `channels.<channelId>` changed in the config file. */
export interface ChannelReload {
  channelId: string;
  /** The whole new config (validated). */
  config: OpenClawConfig;
  /** Changed paths under `channels.<channelId>`. */
  changedPaths: string[];
}

export type ChannelReloadHook = (change: ChannelReload) => void | Promise<void>;

/** How plugins take part in hot reloads: changes applied without a restart. */
export interface RuntimeReloadHooks {
  /** Runs when `channels.<channelId>.*` changes and is applied live; channels restart one at a time. */
  onChannelChange(channelId: string, hook: ChannelReloadHook): void;
}

export type RuntimeSetupContext = RuntimeContext & { gateway: Gateway; http: HttpRouter; reload: RuntimeReloadHooks };

/** What a graceful stop drains: the running gateway and its WebSocket listener (none in stdio mode). */
export interface RuntimeDrainContext {
  gateway: Gateway;
  transport?: WebSocketTransport;
}

/**
 * A feature the runtime assembles around the kernel: its gateway plugins (methods, services),
 * HTTP routes, extra listeners and reload hooks. The default set is `runtimePlugins()`; the kernel
 * never grows flags for them. An in-process restart stops every plugin and runs its hooks again
 * with the new config, so a plugin keeps per-run state in what its hooks create.
 */
export interface RuntimePlugin {
  readonly name: string;
  /** Adds to the Gateway options before the Gateway is built (e.g. `canvasHostUrl`). */
  gatewayOptions?(ctx: RuntimeContext): Partial<GatewayOptions> | Promise<Partial<GatewayOptions>>;
  /** The gateway plugins this feature installs, after the core ones and in runtime plugin order. */
  gatewayPlugins?(ctx: RuntimeContext): GatewayPlugin[] | Promise<GatewayPlugin[]>;
  /**
   * Adds HTTP routes and reload hooks once the Gateway has started (its plugins' services exist).
   * Requests that arrive before every plugin is set up get 503.
   */
  setup?(ctx: RuntimeSetupContext): void | Promise<void>;
  /** Stops whatever `setup` started; called after the gateway has closed (at shutdown and before a restart). */
  stop?(): void | Promise<void>;
  /**
   * A graceful stop (`GatewayRuntime.stop()`, SIGTERM) begins: stop taking new work, resolve once
   * the work in flight finished or a deadline passed. Drains run in plugin order while the gateway
   * still serves; it closes (`shutdown`, 1012) after the last one. Not called for in-process restarts.
   */
  drain?(ctx: RuntimeDrainContext): Promise<void>;
  /**
   * A request while no gateway runs (starting, restarting, stopped): true when this plugin
   * answered it. Health probes live here; other requests get 503 `gateway starting`.
   */
  serveWhileDown?(req: IncomingMessage, res: ServerResponse): boolean;
}
