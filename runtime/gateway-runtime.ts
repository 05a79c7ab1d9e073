import type { IncomingMessage, ServerResponse } from 'node:http';
import { corePlugins } from '../lib/core-plugins.js';
import {
  buildReloadPlan,
  ConfigFileWatcher,
  ConfigManager,
  consumeRestartSentinel,
  DEFAULT_RELOAD_DEBOUNCE_MS,
  DEFAULT_RELOAD_MODE,
  diffConfigPaths,
  loadConfig,
  type LoadedConfig,
  type OpenClawConfig,
  type ReloadPlan,
  type ResolvedGatewayAuth,
} from '../lib/config/index.js';
import { GatewayError } from '../lib/errors.js';
import { Gateway, type ShutdownOptions } from '../lib/gateway.js';
import { gatewayOptionsFromConfig } from '../lib/gateway-options-from-config.js';
import type { TeeLogger } from '../lib/logging/tee-logger.js';
import type { Logger } from '../lib/logger.js';
import type { GatewayPlugin } from '../lib/plugin.js';
import { configPlugin } from '../lib/plugins/config-plugin.js';
import { logsPlugin } from '../lib/plugins/logs-plugin.js';
import { CloseCode, HANDSHAKE_TIMEOUT_MS } from '../lib/protocol/index.js';
import { systemEventsService } from '../lib/services.js';
import type { ConnectionSink } from '../lib/transport.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { HttpRouter, sendText } from '../transports/http.js';
import { createOriginVerifier } from '../transports/origin-verifier.js';
import type { StdioTransport } from '../transports/stdio.js';
import type { WebSocketTransport } from '../transports/ws.js';
import type { ChannelReloadHook, RuntimeContext, RuntimePlugin } from './runtime-plugin.js';
import { prepareLaunch, type Prepared } from './prepare-launch.js';
import { dashboardNotice } from './dashboard-notice.js';
import { RuntimeLogs } from './runtime-logs.js';
import { HostServerRequests } from './host-server-requests.js';
import { EventLoopStallMonitor, type EventLoopStalls } from './event-loop-stall-monitor.js';
import { runtimePlugins } from './runtime-plugins.js';

export type { RuntimeEnvironment, RuntimeOverrides } from './runtime-environment.js';
export type { GatewayRuntimeEvents, GatewayRuntimeOptions } from './gateway-runtime-options.js';
import type { GatewayRuntimeEvents, GatewayRuntimeOptions } from './gateway-runtime-options.js';
import { policyConfig } from '../lib/config/own-settings.js';
import { configKeyReport } from '../lib/config/config-key-report.js';
import { removeStaleTempFiles } from '../lib/file-storage.js';
import { PendingConnectionQueue } from './pending-connection-queue.js';
import { applyChannelReloads } from './channel-reloads.js';

/** Announced in `shutdown.restartExpectedMs`: a rebuild takes well under this. */
export const RESTART_EXPECTED_MS = 1500;

/** One built gateway: replaced as a whole by an in-process restart. */
interface Generation {
  prepared: Prepared;
  gateway: Gateway;
  transport?: WebSocketTransport;
  http: HttpRouter;
  channelHooks: Map<string, ChannelReloadHook[]>;
}

/**
 * The whole gateway as `openclaw gateway` runs it, and as hosts embed it: the Gateway with config
 * and log methods, its WebSocket + HTTP listener (its own, a host's server, or stdio), and the
 * runtime plugins around them, assembled from the validated config. It watches the config file:
 * safe changes apply live, critical ones rebuild the gateway in this process; a
 * bad edit is reported and the running config stays. It never touches the host's process: no
 * signal handlers, no exit; failures arrive as events and rejected promises.
 */
export class GatewayRuntime {
  readonly #options: GatewayRuntimeOptions;
  readonly #plugins: RuntimePlugin[];
  readonly #logs: RuntimeLogs;
  readonly #logger: TeeLogger;
  readonly #events = new TypedEmitter<GatewayRuntimeEvents>((err) => this.#logger.log('error', 'gateway', `runtime listener failed: ${(err as Error).message}`));
  #current?: Generation;
  #stdio?: StdioTransport;
  readonly #pending = new PendingConnectionQueue({ maxWaitMs: HANDSHAKE_TIMEOUT_MS });
  #hostRequests?: HostServerRequests;
  #watcher?: ConfigFileWatcher;
  /** The config file as last accepted (applied live or by a restart). */
  #config: OpenClawConfig;
  #hash: string;
  #auth?: ResolvedGatewayAuth;
  #generatedToken?: string;
  #port = 0;
  #restarting?: Promise<boolean>;
  #scheduled?: { timer: NodeJS.Timeout; reason: string };
  /** config.apply / config.patch asked for a restart, so a SIGUSR1 now is expected. */
  #restartAuthorized = false;
  #reloading: Promise<void> = Promise.resolve();
  #stopped = false;
  #startCalled = false;
  #fatal?: Error;
  readonly #stalls: EventLoopStallMonitor;

  constructor(options: GatewayRuntimeOptions) {
    this.#options = options;
    this.#plugins = options.plugins ?? runtimePlugins();
    this.#logs = new RuntimeLogs({
      out: (line) => this.#out(line),
      secrets: () => [this.#auth?.token, this.#auth?.password],
      logDir: options.logDir,
      color: options.color,
      extra: options.logger,
    });
    this.#logger = this.#logs.logger;
    this.#config = options.environment.loaded.config;
    this.#hash = options.environment.loaded.hash;
    this.#stalls = new EventLoopStallMonitor({ logger: this.#logger, thresholdMs: options.stallThresholdMs, activity: (ms) => this.gateway?.activeRequests(ms) ?? [] });
  }

  /** The running kernel; replaced by an in-process restart, undefined before start and after stop. */
  get gateway(): Gateway | undefined {
    return this.#current?.gateway;
  }

  /** The port the gateway listens on (the host server's with `server`); 0 before start and in stdio mode. */
  get port(): number {
    return this.#port;
  }

  /** The token this runtime generated and saved at start because the config had none. */
  get generatedToken(): string | undefined {
    return this.#generatedToken;
  }

  /** The config file as the runtime last accepted it. */
  get config(): OpenClawConfig {
    return this.#config;
  }

  /** Where file log lines currently go. */
  get logFile(): string | undefined {
    return this.#logs.file;
  }

  /** The runtime's log (console, file log, `options.logger`), for a host's lines about the gateway. */
  get logger(): Logger {
    return this.#logger;
  }

  /** Event-loop stalls over `stallThresholdMs` since start. */
  get eventLoopStalls(): EventLoopStalls {
    return this.#stalls.stats;
  }

  /** Listens to reloads, restarts and failures; returns the unsubscribe function. */
  on<K extends keyof GatewayRuntimeEvents>(event: K, listener: (payload: GatewayRuntimeEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Validates the config, binds the listener (or attaches to `server`, or serves stdio), starts
   * the Gateway and its plugins, then watches the config file. Rejects when it cannot start
   * (CONFIG_INVALID, ADDRESS_IN_USE, ...); a runtime starts once.
   */
  async start(): Promise<void> {
    if (this.#startCalled) throw new GatewayError('CLOSED', 'a runtime starts once; create another one to start again');
    this.#startCalled = true;
    const { overrides = {}, server } = this.#options;
    const prepared = await this.#prepare(this.#config);
    // With a generated token the file changed under us; the watcher must not see that as an edit.
    this.#config = prepared.config;
    this.#applyLogging(this.#config);
    const stale = await removeStaleTempFiles(this.#options.environment.stateDir);
    if (stale.length) this.#logger.log('info', 'gateway', `removed ${stale.length} temp file(s) an interrupted write left in the state dir`);
    if (overrides.stdio) {
      const streams = overrides.stdio === true ? {} : overrides.stdio;
      // Only --stdio serves over stdin/stdout: its transport loads then, as the ws transport does for a listener.
      this.#stdio = new (await import('../transports/stdio.js')).StdioTransport({ sink: this.#sink, maxLineBytes: policyConfig(prepared.config)?.maxPayload, ...streams });
    } else if (server) {
      this.#hostRequests = new HostServerRequests(server, (req, res) => {
        this.#current?.http.handle(req, res);
        return this.#current !== undefined || this.#plugins.some((plugin) => plugin.serveWhileDown?.(req, res));
      });
      this.#hostRequests.attach();
    }
    try {
      await this.#launch(prepared);
      if (this.#stopped) {
        await this.#teardown({ reason: 'gateway stopping' });
        throw new GatewayError('CLOSED', 'the runtime was stopped while it started');
      }
    } catch (err) {
      this.#hostRequests?.detach();
      throw err;
    }
    this.#stdio?.start();
    this.#watch();
    if (this.#options.stallThresholdMs !== 0) this.#stalls.start();
    // Announced last: whoever waits for "listening" may rely on reloads and signals being live.
    await this.#announce();
    if (!overrides.stdio && this.#port !== 0) for (const line of dashboardNotice(prepared, this.#port)) this.#out(line);
  }

  /** Resolves when the one stdio client is gone; never in WebSocket mode. */
  stdioClosed(): Promise<unknown> {
    return this.#stdio ? this.#stdio.closed : new Promise(() => {});
  }

  /** Resolves with the error that left the runtime without a gateway (see the `fatal` event). */
  failed(): Promise<Error> {
    if (this.#fatal) return Promise.resolve(this.#fatal);
    return new Promise((resolve) => this.#events.once('fatal', resolve));
  }

  /** Stops watching, waits for a restart in flight, lets plugins drain (`RuntimePlugin.drain`), closes the Gateway (`shutdown`, then 1012) and the listener. */
  async stop(options: ShutdownOptions = { reason: 'gateway stopping' }): Promise<void> {
    this.#stopped = true;
    this.#stalls.stop();
    this.#watcher?.close();
    this.#cancelScheduledRestart();
    await this.#restarting;
    for (const plugin of this.#plugins) if (this.#current) await plugin.drain?.(this.#current);
    await this.#teardown(options);
    this.#pending.closeAll(CloseCode.ServiceRestart, 'service restart');
    await this.#stdio?.close(CloseCode.ServiceRestart, 'service restart');
    this.#hostRequests?.detach();
  }

  /**
   * Rebuilds the gateway in this process from the config file as it is now: `shutdown` with
   * `restartExpectedMs`, close 1012, new Gateway and listener on the same port. A config that
   * cannot start is refused before anything closes; a listener that cannot bind rolls back.
   * Concurrent calls share one restart. Resolves with whether the new config is running.
   */
  restart(reason: string): Promise<boolean> {
    if (this.#stopped || this.#fatal) return Promise.resolve(false);
    if (!this.#current && !this.#restarting) {
      this.#logger.log('warn', 'gateway', `restart (${reason}) ignored: the gateway is not running yet`);
      return Promise.resolve(false);
    }
    this.#restarting ??= this.#restart(reason).finally(() => {
      this.#restarting = undefined;
    });
    return this.#restarting;
  }

  /**
   * SIGUSR1: an in-process restart when authorised, i.e. `commands.restart: true` or a restart
   * announced by config.apply/config.patch; otherwise logged and ignored.
   */
  handleRestartSignal(signal = 'SIGUSR1'): Promise<boolean> {
    if (this.#config.commands?.restart === true || this.#restartAuthorized) return this.restart(signal);
    this.#logger.log('warn', 'gateway', `${signal} ignored: in-process restart is not enabled (set commands.restart to true)`);
    return Promise.resolve(false);
  }

  /** Handles the config file as it is now, exactly as the watcher does after a change. */
  reloadFromFile(): Promise<void> {
    const next = this.#reloading.then(() => this.#reload());
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  readonly #sink: ConnectionSink = {
    // Connections that arrive before the Gateway is ready (starting, mid-restart) wait for it.
    accept: (conn) => {
      if (this.#current) this.#current.gateway.accept(conn);
      else if (this.#stopped) conn.close(CloseCode.ServiceRestart, 'service restart');
      else this.#pending.hold(conn);
    },
  };

  #out(line: string): void {
    this.#options.out?.(line);
  }

  /** Everything that can be checked before touching a socket; throws CONFIG_INVALID naming the fix. */
  async #prepare(fileConfig: OpenClawConfig): Promise<Prepared> {
    const prepared = await prepareLaunch({
      config: fileConfig,
      environment: this.#options.environment,
      overrides: this.#options.overrides ?? {},
      boundPort: this.#port,
      running: this.#current !== undefined,
      out: (line) => this.#out(line),
    });
    if (prepared.generatedToken) this.#generatedToken = prepared.generatedToken;
    const keys = await configKeyReport(prepared.config);
    if (keys.legacy.length) {
      const list = keys.legacy.map((k) => `${k.path} → ${k.replacement}`).join(', ');
      this.#logger.log('warn', 'config', `old-dialect keys upstream OpenClaw refuses: ${list}; run openclaw doctor --fix`);
    }
    if (keys.unused.length) this.#logger.log('info', 'config', `accepted, not used by this gateway: ${keys.unused.join(', ')}`);
    return prepared;
  }

  /** Binds the listener and builds the Gateway, its config/log methods and the plugins. */
  async #launch(prepared: Prepared): Promise<void> {
    const { environment: ctx, overrides: flags = {}, server } = this.#options;
    const { config, auth, hosts } = prepared;
    const logger = this.#logger;
    this.#auth = auth;

    const hostRequests = this.#hostRequests;
    const http = new HttpRouter({ logger, notFound: hostRequests ? (req, res) => hostRequests.fallThrough(req, res) : undefined });
    let transport: WebSocketTransport | undefined;
    let port = 0;
    if (!flags.stdio) {
      // Loaded here so that importing the package root never loads ws (stdio needs no socket server).
      const { WebSocketTransport } = await import('../transports/ws.js');
      const shared = {
        sink: this.#sink,
        maxPayload: policyConfig(config)?.maxPayload,
        trustedProxies: config.gateway?.trustedProxies,
        verifyOrigin: createOriginVerifier({ allowedOrigins: config.gateway?.controlUi?.allowedOrigins, logger }),
      };
      if (server) {
        transport = new WebSocketTransport({ ...shared, server, path: this.#options.wsPath ?? '/' });
        const address = server.address();
        port = address && typeof address === 'object' ? address.port : 0;
      } else {
        transport = new WebSocketTransport({ ...shared, port: prepared.port, host: hosts, requestHandler: (req, res) => this.#onOwnRequest(req, res) });
        port = (await transport.listen()).port;
      }
    }

    const runtime: RuntimeContext = {
      config,
      env: ctx.env,
      stateDir: ctx.stateDir,
      configPath: ctx.configPath,
      workspaceDir: ctx.workspaceDir,
      version: ctx.version,
      port,
      requestedPort: prepared.requestedPort,
      hosts,
      logger,
    };
    const channelHooks = new Map<string, ChannelReloadHook[]>();
    let gateway: Gateway | undefined;
    try {
      let gatewayOptions = gatewayOptionsFromConfig({ config, auth, stateDir: ctx.stateDir, configPath: ctx.configPath, version: ctx.version, logger });
      for (const plugin of this.#plugins) gatewayOptions = { ...gatewayOptions, ...(await plugin.gatewayOptions?.(runtime)) };
      const configManager = new ConfigManager({
        path: ctx.configPath,
        env: ctx.env,
        stateDir: ctx.stateDir,
        version: ctx.version,
        profile: ctx.profile,
        logger,
      });
      configManager.on('restart-requested', (request) => this.#scheduleRestart(request.reason, request.delayMs));
      const plugins: GatewayPlugin[] = [
        ...corePlugins({ storage: gatewayOptions.storage!, nodes: gatewayOptions.nodes }),
        configPlugin(configManager),
        logsPlugin({ file: () => this.#logs.file ?? '', redact: (line) => this.#logs.redact(line) }),
      ];
      for (const plugin of this.#plugins) plugins.push(...((await plugin.gatewayPlugins?.(runtime)) ?? []));
      plugins.push(...(this.#options.gatewayPlugins ?? []));
      gateway = new Gateway({ ...gatewayOptions, plugins });
      gateway.on('error', (error) => this.#events.emit('error', { source: 'gateway', error }));
      const reload = {
        onChannelChange: (channelId: string, hook: ChannelReloadHook) => {
          channelHooks.set(channelId, [...(channelHooks.get(channelId) ?? []), hook]);
        },
      };
      await gateway.start();
      for (const plugin of this.#plugins) await plugin.setup?.({ ...runtime, gateway, http, reload });
    } catch (err) {
      this.#pending.closeAll(1013, 'gateway starting');
      await gateway?.close({ reason: 'gateway start failed' });
      await transport?.close();
      await this.#stopPlugins();
      throw err;
    }
    this.#current = { prepared, gateway, transport, http, channelHooks };
    this.#pending.release(gateway);
    this.#port = port;
  }

  /** Requests on the runtime's own listener: 503 while no gateway runs (starting, restarting). */
  #onOwnRequest(req: IncomingMessage, res: ServerResponse): void {
    const generation = this.#current;
    if (generation) generation.http.handle(req, res);
    else if (!this.#plugins.some((plugin) => plugin.serveWhileDown?.(req, res))) sendText(res, 503, 'gateway starting', { 'retry-after': '1' });
  }

  /**
   * Where the gateway listens; then, after a restart asked for by config.apply/patch, the note
   * from its sentinel, logged and queued as a system event.
   */
  async #announce(): Promise<void> {
    const { environment: ctx, overrides: flags = {}, server } = this.#options;
    const generation = this.#current;
    if (!generation) return;
    if (flags.stdio) {
      this.#logger.log('info', 'gateway', 'serving one client over stdio');
    } else {
      const host = generation.prepared.hosts[0]!;
      const shown = host.includes(':') ? `[${host}]` : host;
      const where = server ? `on the host's server (port ${this.#port})` : `on ws://${shown}:${this.#port}`;
      this.#logger.log('info', 'gateway', `listening ${where} (profile ${ctx.profile}, config ${ctx.configPath})`);
    }
    const payload = await consumeRestartSentinel(ctx.stateDir);
    if (!payload) return;
    const text = `Gateway restarted (${payload.stats.mode})${payload.message ? `: ${payload.message}` : ''}`;
    this.#logger.log('info', 'gateway', text, payload.sessionKey ? { sessionKey: payload.sessionKey } : undefined);
    generation.gateway.optionalService(systemEventsService)?.enqueue(text);
  }

  async #teardown(options: ShutdownOptions): Promise<void> {
    const generation = this.#current;
    this.#current = undefined;
    if (!generation) return;
    await generation.gateway.close(options);
    await generation.transport?.close();
    await this.#stopPlugins();
  }

  async #stopPlugins(): Promise<void> {
    for (const plugin of [...this.#plugins].reverse()) {
      try {
        await plugin.stop?.();
      } catch (err) {
        this.#backgroundError('gateway', `stopping ${plugin.name}`, err);
      }
    }
  }

  async #restart(reason: string): Promise<boolean> {
    this.#cancelScheduledRestart();
    this.#restartAuthorized = false;
    const logger = this.#logger;
    if (this.#options.overrides?.stdio) {
      logger.log('warn', 'gateway', `restart needed (${reason}), but --stdio serves a single client; restart the process to apply`);
      return false;
    }
    const previous = this.#current?.prepared;
    let loaded: LoadedConfig;
    let next: Prepared;
    try {
      loaded = await loadConfig({ path: this.#options.environment.configPath, env: this.#options.environment.env });
      next = await this.#prepare(loaded.config);
    } catch (err) {
      logger.log('error', 'gateway', `restart (${reason}) refused, still running the previous config: ${(err as Error).message}`);
      this.#events.emit('restart-failed', { reason, error: err as Error });
      return false;
    }
    logger.log('info', 'gateway', `restarting in-process (${reason})`);
    await this.#teardown({ reason: 'gateway restarting', restartExpectedMs: RESTART_EXPECTED_MS });
    if (this.#stopped) return false;
    try {
      this.#applyLogging(next.config);
      await this.#launch(next);
    } catch (err) {
      logger.log('error', 'gateway', `restart (${reason}) failed, going back to the previous config: ${(err as Error).message}`);
      this.#events.emit('restart-failed', { reason, error: err as Error });
      if (!previous) return this.#fail(err as Error);
      try {
        this.#applyLogging(previous.config);
        await this.#launch(previous);
      } catch (again) {
        return this.#fail(again as Error);
      }
      await this.#announce();
      return false;
    }
    for (const [key, value] of Object.entries(loaded.envAdditions)) this.#options.environment.env[key] ??= value;
    this.#config = next.config;
    this.#hash = loaded.hash;
    await this.#announce();
    this.#events.emit('restarted', { reason, port: this.#port });
    return true;
  }

  /** A failure no caller awaits: logged as `<what> failed: ...` and handed to the host as an `error` event. */
  #backgroundError(subsystem: string, what: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#logger.log('error', subsystem, `${what} failed: ${error.message}`);
    this.#events.emit('error', { source: what, error });
  }

  #fail(error: Error): false {
    this.#fatal = error;
    this.#logger.log('fatal', 'gateway', `gateway is down: ${error.message}`);
    this.#events.emit('fatal', error);
    return false;
  }

  #scheduleRestart(reason: string, delayMs: number): void {
    this.#cancelScheduledRestart();
    this.#restartAuthorized = true;
    this.#logger.log('info', 'gateway', `in-process restart in ${delayMs} ms (${reason})`);
    const timer = setTimeout(() => {
      this.restart(reason).catch((err: unknown) => this.#backgroundError('gateway', `restart (${reason})`, err));
    }, delayMs);
    this.#scheduled = { timer, reason };
  }

  #cancelScheduledRestart(): void {
    if (this.#scheduled) clearTimeout(this.#scheduled.timer);
    this.#scheduled = undefined;
  }

  #watch(): void {
    const { environment: ctx } = this.#options;
    const watcher = new ConfigFileWatcher({
      path: ctx.configPath,
      debounceMs: () => this.#config.gateway?.reload?.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS,
      onChange: () => {
        this.reloadFromFile().catch((err: unknown) => this.#backgroundError('gateway/reload', 'config reload', err));
      },
      onError: (err) => this.#logger.log('warn', 'gateway/reload', `config watch error: ${err.message}`),
    });
    try {
      watcher.start();
      this.#watcher = watcher;
    } catch (err) {
      this.#logger.log('warn', 'gateway/reload', `not watching ${ctx.configPath} for changes: ${(err as Error).message}`);
    }
  }

  async #reload(): Promise<void> {
    if (this.#stopped || this.#fatal) return;
    await this.#restarting;
    const logger = this.#logger;
    const { environment: ctx } = this.#options;
    let loaded: LoadedConfig;
    try {
      loaded = await loadConfig({ path: ctx.configPath, env: ctx.env });
    } catch (err) {
      logger.log('error', 'gateway/reload', `config change rejected, still running the previous config: ${(err as Error).message}`);
      this.#events.emit('reload-rejected', { error: err as Error });
      return;
    }
    if (!loaded.exists) {
      const error = new GatewayError('CONFIG_INVALID', `config file ${ctx.configPath} is gone; still running the previous config`);
      logger.log('warn', 'gateway/reload', error.message);
      this.#events.emit('reload-rejected', { error });
      return;
    }
    if (loaded.hash === this.#hash) return;
    this.#hash = loaded.hash;
    const mode = this.#config.gateway?.reload?.mode ?? DEFAULT_RELOAD_MODE;
    const plan = buildReloadPlan(diffConfigPaths(this.#config, loaded.config));
    if (plan.changedPaths.length === 0) return;
    const paths = plan.changedPaths.join(', ');

    if (mode === 'off') {
      logger.log('info', 'gateway/reload', `config changed (${paths}); gateway.reload.mode is "off", not applying it`);
      this.#events.emit('reload', { mode, plan, applied: 'none' });
      return;
    }
    if (mode === 'restart' || (mode === 'hybrid' && plan.restartGateway)) {
      const why = mode === 'restart' ? paths : plan.restartReasons.join(', ');
      logger.log('info', 'gateway/reload', `config change needs a restart (${why})`);
      const restarted = await this.restart(`config change: ${why}`);
      this.#events.emit('reload', { mode, plan, applied: restarted ? 'restart' : 'none' });
      return;
    }
    await this.#applyHot(loaded, plan);
    if (plan.restartGateway) {
      logger.log(
        'warn',
        'gateway/reload',
        `config change needs a restart (${plan.restartReasons.join(', ')}); gateway.reload.mode is "hot", so it waits for the next restart`,
      );
    }
    this.#events.emit('reload', { mode, plan, applied: plan.hotReasons.length || plan.noopPaths.length ? 'hot' : 'none' });
  }

  /** Applies what can change without a restart; the rest is read where it is used. */
  async #applyHot(loaded: LoadedConfig, plan: ReloadPlan): Promise<void> {
    const logger = this.#logger;
    const config = loaded.config;
    for (const [key, value] of Object.entries(loaded.envAdditions)) this.#options.environment.env[key] ??= value;
    this.#config = config;
    if (plan.changedPaths.some((path) => path === 'logging' || path.startsWith('logging.'))) this.#applyLogging(config);
    await applyChannelReloads(plan, config, this.#current?.channelHooks, logger, (what, err) => this.#backgroundError('gateway/reload', what, err));
    const nextRun = plan.noopPaths.filter((path) => /^(agents|agent|models)(\.|$)/.test(path));
    if (nextRun.length) logger.log('info', 'gateway/reload', `takes effect on the next agent run: ${nextRun.join(', ')}`);
    logger.log('info', 'gateway/reload', `config hot reload applied (${plan.changedPaths.join(', ')})`);
  }

  /** (Re)builds the console and file loggers from `logging.*`; components keep the same tee. */
  #applyLogging(config: OpenClawConfig): void {
    this.#logs.apply(config.logging ?? {}, this.#options.overrides?.verbose === true);
  }
}
