import { createConsoleLogger } from '../lib/console-logger.js';
import {
  assertBindAllowed,
  buildReloadPlan,
  ConfigFileWatcher,
  ConfigManager,
  consumeRestartSentinel,
  DEFAULT_RELOAD_DEBOUNCE_MS,
  DEFAULT_RELOAD_MODE,
  diffConfigPaths,
  ensureGatewayToken,
  loadConfig,
  resolveBindHosts,
  resolveGatewayAuth,
  resolvePort,
  type LoadedConfig,
  type OpenClawConfig,
  type ReloadMode,
  type ReloadPlan,
  type ResolvedGatewayAuth,
} from '../lib/config/index.js';
import { GatewayError } from '../lib/errors.js';
import { Gateway, type ShutdownOptions } from '../lib/gateway.js';
import { gatewayOptionsFromConfig } from '../lib/gateway-options-from-config.js';
import { FileLogger } from '../lib/logging/file-logger.js';
import { TeeLogger } from '../lib/logging/tee-logger.js';
import { registerLogsMethods } from '../lib/methods/logs-methods.js';
import { CloseCode } from '../lib/protocol/index.js';
import type { ConnectionSink } from '../lib/transport.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { controlUiDashboardUrl } from '../transports/control-ui.js';
import { HttpRouter } from '../transports/http.js';
import { createOriginVerifier } from '../transports/origin-verifier.js';
import { StdioTransport } from '../transports/stdio.js';
import { WebSocketTransport } from '../transports/ws.js';
import type { CliContext } from './cli-context.js';
import { freePort } from './free-port.js';
import type { ChannelReloadHook, RuntimeContext, RuntimePlugin } from './runtime-plugin.js';
import { runtimePlugins } from './runtime-plugins.js';

export interface GatewayRunFlags {
  port?: string;
  bind?: string;
  token?: string;
  password?: string;
  auth?: string;
  allowUnconfigured?: boolean;
  verbose?: boolean;
  force?: boolean;
  stdio?: boolean;
}

export interface GatewayRuntimeOptions {
  ctx: CliContext;
  flags: GatewayRunFlags;
  /** Human output (stdout, or stderr in --stdio mode). */
  out: (line: string) => void;
  plugins?: RuntimePlugin[];
  /** Directory of the dated file logs when `logging.file` is unset; default `/tmp/openclaw`. */
  logDir?: string;
  /** Colour console levels (pretty/compact styles). Default false. */
  color?: boolean;
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
  /** Neither the new nor the previous config could be brought up again; the process should exit. */
  fatal: Error;
}

type BindMode = 'loopback' | 'lan' | 'tailnet' | 'auto' | 'custom';
const BIND_MODES: readonly BindMode[] = ['loopback', 'lan', 'tailnet', 'auto', 'custom'];

/** Announced in `shutdown.restartExpectedMs`: a rebuild takes well under this. */
export const RESTART_EXPECTED_MS = 1500;

/** Everything derived from one config before anything listens: checked as a whole, or not used. */
interface Prepared {
  config: OpenClawConfig;
  auth: ResolvedGatewayAuth;
  bind: BindMode;
  hosts: string[];
  port: number;
  /** The port as configured, before a restart pins `--port 0` to the one it got. */
  requestedPort: number;
}

/** One built gateway: replaced as a whole by an in-process restart. */
interface Generation {
  prepared: Prepared;
  gateway: Gateway;
  transport?: WebSocketTransport;
  channelHooks: Map<string, ChannelReloadHook[]>;
}

/**
 * Everything `openclaw gateway` runs: the Gateway, its WebSocket + HTTP listener (or stdio), and
 * the runtime plugins around them, assembled from the validated config and flags. It watches the
 * config file: safe changes apply live, critical ones rebuild the gateway in this process
 * (protocol §9.3); a bad edit is reported and the running config stays.
 */
export class GatewayRuntime {
  readonly #options: GatewayRuntimeOptions;
  readonly #plugins: RuntimePlugin[];
  readonly #logger = new TeeLogger([]);
  readonly #events = new TypedEmitter<GatewayRuntimeEvents>((err) => this.#logger.log('error', 'gateway', `runtime listener failed: ${(err as Error).message}`));
  #fileLogger?: FileLogger;
  #current?: Generation;
  #stdio?: StdioTransport;
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
  #fatal?: Error;

  constructor(options: GatewayRuntimeOptions) {
    this.#options = options;
    this.#plugins = options.plugins ?? runtimePlugins();
    this.#config = options.ctx.loaded.config;
    this.#hash = options.ctx.loaded.hash;
  }

  get gateway(): Gateway | undefined {
    return this.#current?.gateway;
  }

  get port(): number {
    return this.#port;
  }

  get generatedToken(): string | undefined {
    return this.#generatedToken;
  }

  /** The config file as the runtime last accepted it. */
  get config(): OpenClawConfig {
    return this.#config;
  }

  /** Where file log lines currently go. */
  get logFile(): string | undefined {
    return this.#fileLogger?.file;
  }

  on<K extends keyof GatewayRuntimeEvents>(event: K, listener: (payload: GatewayRuntimeEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  async start(): Promise<void> {
    const { flags } = this.#options;
    const prepared = await this.#prepare(this.#config);
    // With a generated token the file changed under us; the watcher must not see that as an edit.
    this.#config = prepared.config;
    this.#applyLogging(this.#config);
    if (flags.stdio) {
      this.#stdio = new StdioTransport({ sink: this.#sink, maxLineBytes: prepared.config.gateway?.policy?.maxPayload });
    }
    await this.#launch(prepared, { force: flags.force });
    this.#stdio?.start();
    this.#watch();
    // Announced last: whoever waits for "listening" may rely on reloads and signals being live.
    await this.#announce();
    const controlUi = prepared.config.gateway?.controlUi;
    if (!flags.stdio && controlUi?.enabled !== false) {
      // Printed once and never through the logger: the link carries the token (in the fragment).
      const token = prepared.auth.mode === 'token' ? prepared.auth.token : undefined;
      this.#options.out(`Dashboard: ${controlUiDashboardUrl({ host: prepared.hosts[0]!, port: this.#port, basePath: controlUi?.basePath, token })}`);
    }
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

  async stop(options: ShutdownOptions = { reason: 'gateway stopping' }): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    this.#cancelScheduledRestart();
    await this.#restarting;
    await this.#teardown(options);
    await this.#stdio?.close(CloseCode.ServiceRestart, 'service restart');
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
    // Connections that arrive before the Gateway exists (or mid-restart) are told to come back (1013).
    accept: (conn) => (this.#current ? this.#current.gateway.accept(conn) : conn.close(1013, 'gateway starting')),
  };

  /** Everything that can be checked before touching a socket; throws CONFIG_INVALID naming the fix. */
  async #prepare(fileConfig: OpenClawConfig): Promise<Prepared> {
    const { ctx, flags, out } = this.#options;
    let config = fileConfig;
    if (config.gateway?.mode !== 'local' && !flags.allowUnconfigured) {
      const why = ctx.loaded.exists || this.#current ? `gateway.mode is ${JSON.stringify(config.gateway?.mode ?? null)}` : 'no config file';
      throw new GatewayError(
        'CONFIG_INVALID',
        `refusing to start: ${why} at ${ctx.configPath}; set gateway.mode to "local" or pass --allow-unconfigured`,
      );
    }
    if (flags.auth !== undefined && flags.auth !== 'token' && flags.auth !== 'password') {
      throw new GatewayError('CONFIG_INVALID', `--auth must be token or password, got ${flags.auth}`);
    }
    const bind = (flags.bind ?? config.gateway?.bind ?? 'loopback') as BindMode;
    if (!BIND_MODES.includes(bind)) throw new GatewayError('CONFIG_INVALID', `--bind must be one of ${BIND_MODES.join(', ')}`);

    // Validate everything that can be checked up front before touching the config file, so a
    // refused start never leaves a generated token behind that nobody was shown.
    const hosts = resolveBindHosts(bind, config.gateway?.customBindHost);
    let { port } = resolvePort({ flag: flags.port, env: ctx.env, config });
    const requestedPort = port;
    // `--port 0` picks a port once; a restart keeps it so clients find the gateway again.
    if (port === 0 && this.#port !== 0) port = this.#port;
    const authFlags = { token: flags.token, password: flags.password, auth: flags.auth as 'token' | 'password' | undefined };
    let auth = resolveGatewayAuth({ config, env: ctx.env, flags: authFlags });
    if (auth.mode === 'token' && auth.token === undefined) {
      const ensured = await ensureGatewayToken({ path: ctx.configPath, config, env: ctx.env });
      if (ensured.generated) {
        this.#generatedToken = ensured.token;
        config = ensured.config;
        auth = resolveGatewayAuth({ config, env: ctx.env, flags: authFlags });
        // Printed once, on purpose, and right away: it is the only way a new user learns the
        // token, and it is already saved even if the start fails below.
        out(`Generated a gateway token and saved it to ${ctx.configPath} (gateway.auth.token):`);
        out(`  ${ensured.token}`);
      }
    }
    assertBindAllowed(bind, auth);
    // Fail closed: a gateway whose auth mode has no secret would refuse every client.
    if (auth.mode === 'password' && auth.password === undefined) {
      throw new GatewayError(
        'CONFIG_INVALID',
        'refusing to start: auth mode is "password" but no password is set; pass --password, set gateway.auth.password or OPENCLAW_GATEWAY_PASSWORD, or use --auth token',
      );
    }
    if (auth.mode === 'token' && auth.token === undefined) {
      throw new GatewayError(
        'CONFIG_INVALID',
        'refusing to start: auth mode is "token" but no token is set; pass --token, set gateway.auth.token or OPENCLAW_GATEWAY_TOKEN',
      );
    }
    return { config, auth, bind, hosts, port, requestedPort };
  }

  /** Binds the listener and builds the Gateway, its config/log methods and the plugins. */
  async #launch(prepared: Prepared, options: { force?: boolean } = {}): Promise<void> {
    const { ctx, flags } = this.#options;
    const { config, auth, hosts } = prepared;
    const logger = this.#logger;
    this.#auth = auth;

    const http = new HttpRouter({ logger });
    let transport: WebSocketTransport | undefined;
    let port = 0;
    if (!flags.stdio) {
      if (options.force) await freePort(prepared.port, (line) => logger.log('warn', 'gateway', line));
      transport = new WebSocketTransport({
        sink: this.#sink,
        port: prepared.port,
        host: hosts,
        maxPayload: config.gateway?.policy?.maxPayload,
        trustedProxies: config.gateway?.trustedProxies,
        verifyOrigin: createOriginVerifier({ allowedOrigins: config.gateway?.controlUi?.allowedOrigins }),
        requestHandler: http.handle,
      });
      port = (await transport.listen()).port;
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
    let gateway: Gateway;
    try {
      let gatewayOptions = gatewayOptionsFromConfig({ config, auth, stateDir: ctx.stateDir, configPath: ctx.configPath, version: ctx.version, logger });
      for (const plugin of this.#plugins) gatewayOptions = { ...gatewayOptions, ...(await plugin.gatewayOptions?.(runtime)) };
      gateway = new Gateway(gatewayOptions);
      const configManager = new ConfigManager({
        path: ctx.configPath,
        env: ctx.env,
        stateDir: ctx.stateDir,
        version: ctx.version,
        profile: ctx.profile,
        logger,
      });
      configManager.register(gateway);
      configManager.on('restart-requested', (request) => this.#scheduleRestart(request.reason, request.delayMs));
      registerLogsMethods(gateway, { file: () => this.#fileLogger?.file ?? '' });
      const reload = {
        onChannelChange: (channelId: string, hook: ChannelReloadHook) => {
          channelHooks.set(channelId, [...(channelHooks.get(channelId) ?? []), hook]);
        },
      };
      for (const plugin of this.#plugins) await plugin.setup?.({ ...runtime, gateway, http, reload });
      await gateway.start();
    } catch (err) {
      await transport?.close();
      await this.#stopPlugins();
      throw err;
    }
    this.#current = { prepared, gateway, transport, channelHooks };
    this.#port = port;
  }

  /**
   * Where the gateway listens; then, after a restart asked for by config.apply/patch, the note
   * from its sentinel, logged and queued as a system event.
   */
  async #announce(): Promise<void> {
    const { ctx, flags } = this.#options;
    const generation = this.#current;
    if (!generation) return;
    if (flags.stdio) {
      this.#logger.log('info', 'gateway', 'serving one client over stdio');
    } else {
      const host = generation.prepared.hosts[0]!;
      const shown = host.includes(':') ? `[${host}]` : host;
      this.#logger.log('info', 'gateway', `listening on ws://${shown}:${this.#port} (profile ${ctx.profile}, config ${ctx.configPath})`);
    }
    const payload = await consumeRestartSentinel(ctx.stateDir);
    if (!payload) return;
    const text = `Gateway restarted (${payload.stats.mode})${payload.message ? `: ${payload.message}` : ''}`;
    this.#logger.log('info', 'gateway', text, payload.sessionKey ? { sessionKey: payload.sessionKey } : undefined);
    generation.gateway.enqueueSystemEvent(text);
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
        this.#logger.log('error', 'gateway', `stopping ${plugin.name} failed: ${(err as Error).message}`);
      }
    }
  }

  async #restart(reason: string): Promise<boolean> {
    this.#cancelScheduledRestart();
    this.#restartAuthorized = false;
    const logger = this.#logger;
    if (this.#options.flags.stdio) {
      logger.log('warn', 'gateway', `restart needed (${reason}), but --stdio serves a single client; restart the process to apply`);
      return false;
    }
    const previous = this.#current?.prepared;
    let loaded: LoadedConfig;
    let next: Prepared;
    try {
      loaded = await loadConfig({ path: this.#options.ctx.configPath, env: this.#options.ctx.env });
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
    for (const [key, value] of Object.entries(loaded.envAdditions)) this.#options.ctx.env[key] ??= value;
    this.#config = next.config;
    this.#hash = loaded.hash;
    await this.#announce();
    this.#events.emit('restarted', { reason, port: this.#port });
    return true;
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
      this.restart(reason).catch((err: unknown) => this.#logger.log('error', 'gateway', `restart (${reason}) failed: ${(err as Error).message}`));
    }, delayMs);
    this.#scheduled = { timer, reason };
  }

  #cancelScheduledRestart(): void {
    if (this.#scheduled) clearTimeout(this.#scheduled.timer);
    this.#scheduled = undefined;
  }

  #watch(): void {
    const { ctx } = this.#options;
    const watcher = new ConfigFileWatcher({
      path: ctx.configPath,
      debounceMs: () => this.#config.gateway?.reload?.debounceMs ?? DEFAULT_RELOAD_DEBOUNCE_MS,
      onChange: () => {
        this.reloadFromFile().catch((err: unknown) => this.#logger.log('error', 'gateway/reload', `config reload failed: ${(err as Error).message}`));
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
    const { ctx } = this.#options;
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
    for (const [key, value] of Object.entries(loaded.envAdditions)) this.#options.ctx.env[key] ??= value;
    this.#config = config;
    if (plan.changedPaths.some((path) => path === 'logging' || path.startsWith('logging.'))) this.#applyLogging(config);
    for (const action of plan.actions) {
      const channel = /^restart-channel:(.+)$/.exec(action)?.[1];
      if (!channel) {
        logger.log('info', 'gateway/reload', `${action}: nothing of that kind runs in this gateway`);
        continue;
      }
      const hooks = this.#current?.channelHooks.get(channel) ?? [];
      if (hooks.length === 0) {
        logger.log('info', 'gateway/reload', `channels.${channel} changed; no "${channel}" channel runs here, nothing to restart`);
        continue;
      }
      const changedPaths = plan.hotReasons.filter((path) => path === `channels.${channel}` || path.startsWith(`channels.${channel}.`));
      // One channel at a time: a restarting channel must not race another for shared state.
      for (const hook of hooks) {
        try {
          await hook({ channelId: channel, config, changedPaths });
        } catch (err) {
          logger.log('error', 'gateway/reload', `reloading channel ${channel} failed: ${(err as Error).message}`);
        }
      }
    }
    const nextRun = plan.noopPaths.filter((path) => /^(agents|agent|models)(\.|$)/.test(path));
    if (nextRun.length) logger.log('info', 'gateway/reload', `takes effect on the next agent run: ${nextRun.join(', ')}`);
    logger.log('info', 'gateway/reload', `config hot reload applied (${plan.changedPaths.join(', ')})`);
  }

  /** (Re)builds the console and file loggers from `logging.*`; components keep the same tee. */
  #applyLogging(config: OpenClawConfig): void {
    const { flags, out, logDir, color } = this.#options;
    const logging = config.logging ?? {};
    const secrets = () => [this.#auth?.token, this.#auth?.password];
    const consoleLogger = createConsoleLogger({
      level: flags.verbose ? 'debug' : (logging.consoleLevel ?? 'info'),
      style: logging.consoleStyle ?? 'pretty',
      color,
      write: (line) => out(line),
      secrets,
    });
    if (!this.#fileLogger || this.#fileLogger.configuredFile !== logging.file) {
      this.#fileLogger = new FileLogger({
        file: logging.file,
        dir: logDir,
        level: logging.level ?? 'info',
        secrets,
        onError: (err, file) => consoleLogger.log('warn', 'gateway', `cannot write the file log ${file}: ${err.message}`),
      });
    } else {
      this.#fileLogger.setLevel(logging.level ?? 'info');
    }
    this.#logger.setTargets([consoleLogger, this.#fileLogger]);
  }
}

/**
 * `openclaw gateway`: serves until SIGINT/SIGTERM (or, with --stdio, until the client leaves) and
 * resolves with the exit code; every refusal names what to change. SIGUSR1 restarts in-process
 * when authorised.
 */
export async function runGateway(ctx: CliContext, flags: GatewayRunFlags): Promise<number> {
  // In --stdio mode stdout carries the protocol, so every human line goes to stderr.
  const stream = flags.stdio ? process.stderr : process.stdout;
  const out = (line: string) => stream.write(line + '\n');
  const color = Boolean(stream.isTTY) && !ctx.env.NO_COLOR && !process.argv.includes('--no-color');
  // Stop handlers go in before anything is printed: a supervisor (or test) may signal as soon as it
  // sees the listening line, and with no handler yet Node dies of the signal instead of exiting 0.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const runtime = new GatewayRuntime({ ctx, flags, out, color });
  const onRestartSignal = () => {
    runtime.handleRestartSignal('SIGUSR1').catch((err: unknown) => process.stderr.write(`openclaw: SIGUSR1 restart failed: ${(err as Error).message}\n`));
  };
  process.on('SIGUSR1', onRestartSignal);
  await runtime.start();
  const fatal = runtime.failed();
  const why = await Promise.race([signalled, runtime.stdioClosed().then(() => 'stdio closed'), fatal.then(() => 'fatal')]);
  process.off('SIGUSR1', onRestartSignal);
  if (why === 'fatal') {
    process.stderr.write(`openclaw: gateway is down: ${(await fatal).message}\n`);
    await runtime.stop({ reason: 'gateway stopping' });
    return 1;
  }
  out(`shutting down (${why})`);
  await runtime.stop({ reason: 'gateway stopping' });
  return 0;
}
