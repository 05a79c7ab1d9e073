import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { ReloadMode, ReloadPlan } from '../lib/config/index.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayPlugin } from '../lib/plugin.js';
import type { RuntimeEnvironment, RuntimeOverrides } from './runtime-environment.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface GatewayRuntimeOptions {
  environment: RuntimeEnvironment;
  overrides?: RuntimeOverrides;
  /** Human output: the console log, the dashboard link, a generated token. Default: nowhere. */
  out?: (line: string) => void;
  /** One more log target next to the console and the file log (an embedder's own logger). */
  logger?: Logger;
  /**
   * A server the host owns and listens on: the WebSocket upgrade and the gateway's HTTP routes
   * attach to it, next to the host's own routes (requests no gateway route takes go to the host's
   * `request` listeners). Without it the runtime listens on its own port.
   */
  server?: HttpServer | HttpsServer;
  /**
   * With `server`: the path whose WebSocket upgrades are the gateway's; other paths are left to the
   * host's own upgrade listeners. Default `/`.
   */
  wsPath?: string;
  /** The features around the kernel; default `runtimePlugins()` (agents, canvas host, channels, Control UI). */
  plugins?: RuntimePlugin[];
  /**
   * Gateway plugins of the host's own (custom methods, ...), installed after the runtime's. An
   * in-process restart sets the same objects up again on the new Gateway: keep per-run state in
   * what `setup` creates, not in the plugin object.
   */
  gatewayPlugins?: GatewayPlugin[];
  /**
   * Directory of the dated file logs when `logging.file` is unset; default `<os temp dir>/openclaw-<uid>`.
   * It must be private to this user (created 0700; a symlink or another user's directory turns the
   * file log off, with a console warning).
   */
  logDir?: string;
  /** Colour console levels (pretty/compact styles). Default false. */
  color?: boolean;
  /**
   * An event-loop stall this long (ms) or longer is logged as a warning naming the requests that
   * ran during it, and counted in `eventLoopStalls`. Default 1000; 0 turns the monitor off.
   */
  stallThresholdMs?: number;
}

/** What the runtime reports about reloads and restarts, for hosts and tests. */
export interface GatewayRuntimeEvents {
  /** A config file change was handled: applied live, by a restart, or not at all (`off`, `hot`). */
  reload: { mode: ReloadMode; plan: ReloadPlan; applied: 'hot' | 'restart' | 'none' };
  /** A config file change was refused (invalid, missing); the running config stays in force. */
  'reload-rejected': { error: Error };
  /** The gateway was rebuilt in this process and listens again. */
  restarted: { reason: string; port: number };
  /** A restart did not happen or rolled back to the previous config. */
  'restart-failed': { reason: string; error: Error };
  /** Neither the new nor the previous config could be brought up again; the runtime is down. */
  fatal: Error;
  /**
   * A failure no caller awaits, logged and told here: the kernel's own `error` (a method handler
   * or plugin listener that threw unexpectedly), a scheduled restart, a config reload, a channel's
   * reload hook or a plugin's stop that failed. The runtime keeps running; what to do is the host's call.
   */
  error: { source: string; error: Error };
}
