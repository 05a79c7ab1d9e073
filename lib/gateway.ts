import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { GatewayConnection, MAX_FRAMES_BEFORE_HELLO } from './connection.js';
import { corePlugins } from './core-plugins.js';
import { DevicePairingStore } from './device-pairing-store.js';
import type { GatewayOptions, ShutdownOptions } from './gateway-options.js';
import { GatewayError, invalidRequest } from './errors.js';
import { buildHello, presenceFromConnect, runHandshake, type HandshakeAccepted } from './handshake.js';
import { silentLogger, type Logger } from './logger.js';
import { methodAccessError, type AccessScope } from './method-access.js';
import { EventRelay } from './event-relay.js';
import { linkClusterPresence, type ClusterPresence } from './cluster-presence.js';
import { baseHealth } from './base-health.js';
import type { MethodContext } from './method-context.js';
import { MethodTable, type AnyHandler } from './method-table.js';
import type {
  CallArgs,
  CustomMethodHandler,
  CustomMethodOptions,
  GatewayEvents,
  GatewayHost,
  GatewayPlugin,
  HealthStage,
  MethodHandler,
  MethodName,
  MethodResult,
  ServiceKey,
  StatusStage,
  WireEvent,
} from './plugin.js';
import { PresenceStore } from './presence.js';
import { helloEvents, PRESENCE_DELTAS_CAP, PresenceFeed } from './presence-feed.js';
import { CloseCode, DEFAULT_POLICY, HANDSHAKE_TIMEOUT_MS, eventSpecs } from './protocol/index.js';
import type { GatewayEventMap, HealthSummary, HelloOk, Policy, PresenceEntry, StateVersion } from './protocol/generated/types.js';
import { exceedsBytes } from './request-frame.js';
import { RequestDispatcher } from './request-dispatcher.js';
import { composePayload, sealPayload } from './sealed-payload.js';
import { clusterService, devicesService, presenceService } from './services.js';
import { checkSharedAuth } from './shared-auth.js';
import { AuthRateLimiter } from './auth-rate-limiter.js';
import { authorizeHttp, type HttpAuthResult } from './http-auth.js';
import type { PeerRequest } from './is-local-peer.js';
import { MemoryStorage } from './storage.js';
import type { ConnectionSink, TransportConnection } from './transport.js';
import { RequestActivity, type ActiveRequest } from './request-activity.js';
import { TypedEmitter } from './typed-emitter.js';
import { hostPresence, presenceText } from './presence-text.js';

export type { ClientSession, MethodContext } from './method-context.js';
export type { GatewayEvents, MethodHandler, MethodName, MethodParams, MethodResult } from './plugin.js';
export type { GatewayOptions, ShutdownOptions } from './gateway-options.js';

/**
 * The OpenClaw Gateway kernel: accepts connections from transports, runs the handshake,
 * dispatches requests to the methods plugins registered, and broadcasts events. It never
 * touches sockets, and knows no feature: every method comes from a plugin.
 */
export class Gateway implements ConnectionSink {
  /** The limits in force: `DEFAULT_POLICY` with `options.policy` on top, as `hello-ok.policy` announces them. */
  #hostInfo?: ReturnType<typeof hostPresence>;
  readonly policy: Policy;
  readonly #options: GatewayOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #emitter: TypedEmitter<GatewayEvents>;
  readonly #methods = new MethodTable();
  readonly #activity = new RequestActivity(() => this.#clock.now(), undefined, (method, outcome, durationMs) => this.#emitter.hasListeners('request-completed') && this.#emitter.emit('request-completed', { method, outcome, durationMs }));
  readonly #dispatcher: RequestDispatcher;
  #features?: { methods: readonly string[]; variants: Map<number, HelloOk['features']> };
  readonly #services = new Map<string, unknown>();
  readonly #plugins: GatewayPlugin[] = [];
  readonly #conns = new Map<string, GatewayConnection>();
  /** One function for every connection: a closure per connection would cost each idle one its bytes. */
  readonly #onSlow = (c: GatewayConnection) => this.#emitter.emit('slow-consumer-closed', { connId: c.connId, bufferedBytes: c.transport.bufferedAmount });
  /** Live connections per presence key, so a second socket of one device keeps it "present". */
  readonly #presenceRefs = new Map<string, number>();
  readonly #devices: DevicePairingStore;
  readonly #authLimiter: AuthRateLimiter | undefined;
  readonly #presence: PresenceStore;
  readonly #presenceFeed: PresenceFeed;
  readonly #healthStages: HealthStage[] = [];
  readonly #statusStages: StatusStage[] = [];
  readonly #version: string;
  readonly #host: string;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #setupDone = 0;
  /** Plugins set up so far: what `close()` stops, in reverse. */
  #toStop: GatewayPlugin[] = [];
  #starting?: Promise<void>;
  #closeRequested = false;
  #startedAtMs = 0;
  readonly #bootId = randomUUID();
  readonly #relay: EventRelay;
  #clusterPresence?: ClusterPresence;
  #healthVersion = 0;
  #health: HealthSummary | undefined;
  #timers: TimerHandle[] = [];
  #presenceTimer?: TimerHandle;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#version = options.version ?? 'dev';
    this.#host = options.host ?? hostname();
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.#emitter = new TypedEmitter<GatewayEvents>((err, event) => this.#reportError(err, `listener for ${String(event)}`));
    this.#dispatcher = new RequestDispatcher({ methods: this.#methods, activity: this.#activity, logger: this.#logger, reportError: (err, where) => this.#reportError(err, where) });
    this.#emitter.on('slow-consumer-closed', (c) => this.#logger.log('warn', 'gateway/ws', 'slow consumer closed', { connId: c.connId, buffered: c.bufferedBytes }));
    const storage = options.storage ?? new MemoryStorage();
    this.#authLimiter = options.authRateLimit === false ? undefined : new AuthRateLimiter({ clock: this.#clock, ...options.authRateLimit });
    // Devices and presence are connection state: the handshake reads and writes them.
    this.#devices = new DevicePairingStore({ storage, now: () => this.#clock.now() });
    this.#presence = new PresenceStore({
      now: () => this.#clock.now(),
      ttlMs: options.presence?.ttlMs,
      maxEntries: options.presence?.maxEntries,
      self: () => this.#selfPresence(),
      onChange: () => this.#schedulePresence(),
    });
    this.#services.set(devicesService.name, this.#devices);
    this.#services.set(presenceService.name, this.#presence);
    this.#presenceFeed = new PresenceFeed(this.#presence);
    if (options.cluster) this.#services.set(clusterService.name, options.cluster);
    this.#relay = new EventRelay({
      cluster: options.cluster,
      connections: () => this.#conns.values(),
      stateVersion: () => this.#stateVersion(),
      variant: (event, frame) => (event === 'presence' ? this.#presenceFeed.variant(frame, (frame.payload as { presence: PresenceEntry[] }).presence) : undefined),
      sentListener: () => (this.#emitter.hasListeners('broadcast-sent') ? (event, sent, durationMs) => this.#emitter.emit('broadcast-sent', { event: event as WireEvent, ...sent, durationMs }) : undefined),
      onError: (err, where) => this.#reportError(err, where),
    });
    for (const plugin of options.plugins ?? corePlugins({ storage, nodes: options.nodes })) this.use(plugin);
  }

  /** Reported as `server.version` in `hello-ok`. */
  get version(): string {
    return this.#version;
  }

  /** Adds a plugin; it is set up at `start()` after the ones before it. Returns its removal (before start). */
  use(plugin: GatewayPlugin): () => void {
    if (this.#state !== 'new') throw new GatewayError('CLOSED', `plugin ${plugin.name} added after the gateway started`);
    this.#plugins.push(plugin);
    return () => {
      const at = this.#plugins.indexOf(plugin);
      if (this.#state === 'new' && at >= 0) this.#plugins.splice(at, 1);
    };
  }

  /**
   * Listens to a broadcast event (its payload) or a local one (`client-connected`,
   * `client-disconnected`, `error`). Returns the unsubscribe function.
   */
  on<K extends keyof GatewayEvents>(event: K, listener: (payload: GatewayEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Requests running now and those that finished in the last `withinMs`: what a stall report names. */
  activeRequests(withinMs = 0): ActiveRequest[] {
    return this.#activity.list(withinMs);
  }

  /** Installs the handler of a schema-declared method; throws if it already has one. */
  registerMethod<M extends MethodName>(method: M, handler: MethodHandler<M>): () => void {
    return this.#methods.register(method, handler as unknown as AnyHandler);
  }

  /** Installs a method of the embedder's own: validated against `options.params`, advertised, callable by clients. */
  registerCustomMethod<P = unknown, R = unknown>(method: string, options: CustomMethodOptions, handler: CustomMethodHandler<P, R>): () => void {
    return this.#methods.registerCustom(method, options, handler as AnyHandler);
  }

  /** Methods with a handler: what `hello-ok.features.methods` advertises. */
  methods(): string[] {
    return [...this.#methods.names()];
  }

  /** Events this gateway emits. */
  events(): string[] {
    return Object.keys(eventSpecs);
  }

  /** The object a plugin provided under `key` (the node registry, the channel manager, ...). */
  service<T>(key: ServiceKey<T>): T {
    const found = this.#services.get(key.name);
    if (found === undefined) throw new TypeError(`no plugin provides the ${key.name} service; install the plugin that does before the ones that use it`);
    return found as T;
  }

  /** Like `service`, but undefined when no plugin provided `key`. */
  optionalService<T>(key: ServiceKey<T>): T | undefined {
    return this.#services.get(key.name) as T | undefined;
  }

  /** In-process call with full (admin) rights; params are validated like wire params. */
  async call<M extends MethodName>(method: M, ...[params, respond]: CallArgs<M>): Promise<MethodResult<M>> {
    return (await this.#callAny(method, params, respond as ((payload: unknown) => void) | undefined)) as MethodResult<M>;
  }

  /** In-process call of any method, a custom one included. */
  callMethod(method: string, params?: unknown): Promise<unknown> {
    return this.#callAny(method, params, undefined);
  }

  /**
   * Sets up every plugin in order, loads state, then starts the plugins in order. When anything
   * fails, or `close()` is called meanwhile, every plugin set up so far is stopped in reverse.
   */
  start(): Promise<void> {
    if (this.#state !== 'new') return Promise.reject(new GatewayError('CLOSED', `gateway cannot start from state ${this.#state}`));
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      const host = this.#hostApi();
      this.#relay.start();
      for (; this.#setupDone < this.#plugins.length; this.#setupDone++) {
        const plugin = this.#plugins[this.#setupDone]!;
        // Set up is enough to be stopped: setup may subscribe to events or hold resources.
        this.#toStop.push(plugin);
        await plugin.setup?.(host);
        this.#assertStarting();
      }
      await this.#devices.load();
      this.#assertStarting();
      for (const plugin of this.#plugins) {
        await plugin.start?.();
        this.#assertStarting();
      }
    } catch (err) {
      this.#state = 'closed';
      await this.#stopPlugins();
      this.#relay.stop();
      throw err;
    }
    this.#startedAtMs = this.#clock.now();
    this.#clusterPresence = this.#options.cluster && linkClusterPresence(this.#options.cluster, this.#presence);
    this.#clusterPresence?.announce();
    this.#refreshHealth(false);
    this.#timers.push(
      this.#clock.setInterval(() => this.broadcast('tick', { ts: this.#clock.now() }), this.policy.tickIntervalMs),
      this.#clock.setInterval(() => this.#refreshHealth(true), this.#options.healthRefreshMs ?? 60_000),
    );
    this.#state = 'running';
    this.#logger.log('info', 'gateway', 'gateway started', { version: this.#version });
  }

  /** Sends `shutdown`, closes every connection with 1012, then stops the plugins in reverse. Idempotent. */
  async close(options: ShutdownOptions = {}): Promise<void> {
    if (this.#state === 'starting') {
      // The start in flight notices, stops what it set up and rejects with CLOSED.
      this.#closeRequested = true;
      await this.#starting?.catch(() => undefined);
    }
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const t of this.#timers) this.#clock.clearInterval(t);
    this.#timers = [];
    if (this.#presenceTimer !== undefined) this.#clock.clearTimeout(this.#presenceTimer);
    this.#presenceTimer = undefined;
    this.broadcast('shutdown', { reason: options.reason ?? 'gateway stopping', restartExpectedMs: options.restartExpectedMs ?? null });
    for (const conn of [...this.#conns.values()]) conn.close(CloseCode.ServiceRestart, 'service restart');
    this.#clusterPresence?.stop();
    await this.#stopPlugins();
    this.#relay.stop();
    this.#logger.log('info', 'gateway', 'gateway stopped', { reason: options.reason ?? 'gateway stopping' });
  }

  /**
   * HTTP auth under the brute-force limits (docs/protocol.md, HTTP auth). By default the presented
   * bearer is tried as the token and as the password of the configured auth mode, in constant
   * time; a route with a secret of its own (hooks) passes its own `matches`.
   */
  authorizeHttp(request: PeerRequest, secret: string | undefined, matches?: (secret: string) => boolean): HttpAuthResult {
    const result = authorizeHttp({
      request: { ...request, trustedProxies: this.#options.trustedProxies },
      secret,
      matches: matches ?? ((s) => checkSharedAuth(this.#options.auth, { token: s, password: s }).ok),
      limiter: this.#authLimiter,
    });
    if (!result.ok) this.#emitter.emit('auth-failed', { transport: 'http', reason: result.status === 429 ? 'rate_limited' : secret === undefined ? 'missing' : 'mismatch' });
    return result;
  }

  /**
   * Takes a new transport connection (the `ConnectionSink` side): sends `connect.challenge` and
   * closes it with 1008 unless a valid `connect` completes within the handshake timeout. Before
   * `start()` has finished and after `close()` the connection is closed at once with 1012.
   */
  accept(transport: TransportConnection): void {
    if (this.#state !== 'running') {
      transport.close(CloseCode.ServiceRestart, this.#state === 'closed' ? 'service restart' : 'gateway starting');
      return;
    }
    const conn = new GatewayConnection({
      transport,
      connId: randomUUID(),
      nonce: randomUUID(),
      maxBufferedBytes: this.policy.maxBufferedBytes,
      onSlow: this.#onSlow,
    });
    this.#conns.set(conn.connId, conn);
    transport.onmessage = (data) => this.#onMessage(conn, data);
    transport.onclose = (code, reason) => this.#onClose(conn, code, reason);
    conn.handshakeTimer = this.#clock.setTimeout(() => {
      if (conn.phase === 'handshake' || conn.phase === 'connecting') {
        this.#logger.log('debug', 'gateway/ws', 'handshake timeout', { connId: conn.connId });
        conn.close(CloseCode.PolicyViolation, 'handshake timeout');
      }
    }, this.#options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    transport.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: conn.nonce, ts: this.#clock.now() } }));
  }

  /**
   * Sends an event to every authenticated connection allowed to see it, with the next `seq`;
   * through the event bus, so with a cluster every instance's clients get it, in the bus's order.
   * Slow consumers skip droppable events and are closed for the others.
   */
  broadcast<E extends WireEvent>(event: E, payload: GatewayEventMap[E], options: { stateVersion?: boolean } = {}): void {
    this.#relay.broadcast(event, payload, options.stateVersion ?? false);
    this.#emitter.emit(event, payload as GatewayEvents[E]);
  }

  /**
   * Sends an event to one connection, without `seq` (node-directed events, subscriptions). A
   * declared event keeps its rules: its scope, and a slow consumer skipping a droppable one.
   */
  sendEvent(connId: string, event: string, payload: unknown): boolean {
    const conn = this.#conns.get(connId);
    const session = conn?.session;
    if (!conn?.ready || !session) return false;
    const spec = eventSpecs[event as keyof typeof eventSpecs] as { dropIfSlow: boolean; scope?: AccessScope } | undefined;
    if (spec?.scope && methodAccessError(session.role, session.scopes, spec.scope) !== undefined) return false;
    if (spec?.dropIfSlow && conn.slow) return false;
    return conn.sendText(JSON.stringify({ type: 'event', event, payload }));
  }

  /** The narrow interface plugins get instead of this class. */
  #hostApi(): GatewayHost {
    const stage = <S>(list: S[], s: S) => {
      list.push(s);
      return () => {
        const at = list.indexOf(s);
        if (at >= 0) list.splice(at, 1);
      };
    };
    return {
      clock: this.#clock,
      logger: this.#logger,
      version: this.#version,
      defaultAgentId: this.#options.defaultAgentId ?? 'main',
      registerMethod: (method, handler) => this.registerMethod(method, handler),
      registerCustomMethod: (method, options, handler) => this.registerCustomMethod(method, options, handler),
      hasMethod: (method) => this.#methods.has(method),
      call: (method, ...args) => this.call(method, ...args),
      broadcast: (event, payload, options) => this.broadcast(event, payload, options),
      sendEvent: (connId, event, payload) => this.sendEvent(connId, event, payload),
      on: (event, listener) => this.on(event, listener),
      addHealthStage: (s) => stage(this.#healthStages, s),
      addStatusStage: (s) => stage(this.#statusStages, s),
      currentHealth: () => this.#health ?? this.#refreshHealth(false),
      refreshHealth: (broadcast) => this.#refreshHealth(broadcast),
      buildStatus: (base) => this.#statusStages.reduce((status, s) => s(status), base),
      provide: (key, value) => {
        if (this.#services.has(key.name)) throw new TypeError(`the ${key.name} service is already provided`);
        this.#services.set(key.name, value);
        return () => {
          if (this.#services.get(key.name) === value) this.#services.delete(key.name);
        };
      },
      service: (key) => this.service(key),
      optionalService: (key) => this.optionalService(key),
    };
  }

  async #callAny(method: string, params: unknown, respond: ((payload: unknown) => void) | undefined): Promise<unknown> {
    const entry = this.#methods.get(method);
    if (!entry) throw invalidRequest(`unknown method: ${method}`);
    const ctx: MethodContext<unknown> = { respond: respond ?? (() => {}) };
    return entry.handler(entry.check(params ?? {}), ctx);
  }

  #assertStarting(): void {
    if (this.#closeRequested) throw new GatewayError('CLOSED', 'gateway closed while starting');
  }

  async #stopPlugins(): Promise<void> {
    for (const plugin of this.#toStop.splice(0).reverse()) {
      try {
        await plugin.stop?.();
      } catch (err) {
        this.#reportError(err, `stopping plugin ${plugin.name}`);
      }
    }
  }

  #refreshHealth(broadcast: boolean): HealthSummary {
    const started = this.#clock.now();
    const summary = this.#healthStages.reduce((health, s) => s(health), baseHealth(this.#options.defaultAgentId ?? 'main', this.#options.stateDir, started));
    summary.durationMs = Math.max(0, this.#clock.now() - started);
    this.#health = sealPayload(summary);
    this.#healthVersion++;
    if (broadcast) this.broadcast('health', summary, { stateVersion: true });
    return summary;
  }

  /**
   * What hello-ok advertises, sealed and kept while the method table stays the same: every
   * handshake sends it, and serializing ~130 method names was most of a hello's cost.
   */
  #helloFeatures(presenceDeltas: boolean, v4: boolean): HelloOk['features'] {
    const methods = this.#methods.names();
    if (this.#features?.methods !== methods) this.#features = { methods, variants: new Map() };
    const key = Number(presenceDeltas) + 2 * Number(v4);
    let features = this.#features.variants.get(key);
    if (!features) {
      const advertised = { methods: [...methods], events: helloEvents(this.events(), presenceDeltas) };
      // No server capability tokens yet: each names a contract beyond what this gateway implements.
      features = sealPayload(v4 ? { ...advertised, capabilities: [] } : advertised);
      this.#features.variants.set(key, features);
    }
    return features;
  }

  #stateVersion(): StateVersion {
    return { presence: this.#presence.version, health: this.#healthVersion };
  }

  /**
   * Every event carries the whole presence list to every client, so a burst of joins (a reconnect
   * storm after a restart) is collapsed into one event per debounce window.
   */
  #schedulePresence(): void {
    if (this.#presenceTimer !== undefined || this.#state !== 'running') return;
    this.#presenceTimer = this.#clock.setTimeout(() => {
      this.#presenceTimer = undefined;
      if (this.#state !== 'running') return;
      this.#clusterPresence?.announce();
      this.broadcast('presence', { presence: this.#presence.list() }, { stateVersion: true });
    }, this.#options.presenceDebounceMs ?? 50);
  }

  #onMessage(conn: GatewayConnection, data: string): void {
    // Frames still queued from a peer we closed (a slow consumer, say) are not run.
    if (conn.phase === 'closed' || conn.closing) return;
    if (exceedsBytes(data, this.policy.maxPayload)) {
      conn.close(CloseCode.MessageTooBig, 'payload too large');
      return;
    }
    if (conn.phase === 'connecting') {
      if (conn.queued.length >= MAX_FRAMES_BEFORE_HELLO) {
        conn.close(CloseCode.PolicyViolation, 'too many frames before hello-ok');
        return;
      }
      conn.queued.push(data);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      if (conn.phase === 'handshake') conn.close(CloseCode.PolicyViolation, 'invalid request frame');
      else this.#logger.log('warn', 'gateway/ws', 'malformed JSON ignored', { connId: conn.connId });
      return;
    }
    // Both answer every expected failure on the socket; anything else is a bug worth an error event.
    if (conn.phase === 'handshake') {
      this.#handshake(conn, parsed).catch((err: unknown) => this.#reportError(err, 'handshake'));
      return;
    }
    try {
      this.#dispatcher.dispatch(conn, parsed);
    } catch (err) {
      this.#reportError(err, 'request');
    }
  }

  async #handshake(conn: GatewayConnection, parsed: unknown): Promise<void> {
    const accepted = await runHandshake(conn, parsed, {
      auth: this.#options.auth,
      controlUi: this.#options.controlUi ?? {},
      devices: this.#devices,
      limiter: this.#authLimiter,
      clock: this.#clock,
      logger: this.#logger,
      pairingRequested: (request) => this.broadcast('device.pair.requested', request),
      authFailed: (reason) => this.#emitter.emit('auth-failed', { transport: 'ws', reason }),
      reportError: (err, where) => this.#reportError(err, where),
    });
    if (!accepted) return;
    const { session } = accepted;
    // A client asking for cursors is replayed what it missed (after hello-ok, before anything newer).
    const resume = session.connect.resume ? await this.#relay.resume(conn, session.connect.resume) : undefined;
    if (conn.phase !== 'connecting' || conn.closing) return resume?.cancel();
    if (conn.handshakeTimer !== undefined) this.#clock.clearTimeout(conn.handshakeTimer);
    // A cleared timer still held would stay for the life of the connection.
    conn.handshakeTimer = undefined;
    conn.session = session;
    conn.phase = 'ready';
    conn.presenceDeltas = session.connect.caps?.includes(PRESENCE_DELTAS_CAP) === true;
    if (session.client.mode !== 'cli') {
      // Presence keys are case-insensitive; so is the count of live connections behind each.
      conn.presenceKey = (session.deviceId ?? session.client.instanceId ?? conn.connId).toLowerCase();
      this.#presenceRefs.set(conn.presenceKey, (this.#presenceRefs.get(conn.presenceKey) ?? 0) + 1);
      this.#presence.upsert(conn.presenceKey, presenceFromConnect(session));
    }
    conn.sendRes(accepted.requestId, true, resume ? composePayload({ ...this.#hello(conn, accepted), resume: resume.outcome }) : this.#hello(conn, accepted));
    resume?.flush();
    this.#logger.log('debug', 'gateway/ws', 'connected', {
      connId: conn.connId,
      client: session.client.id,
      mode: session.client.mode,
      role: session.role,
      auth: accepted.outcome.authMethod,
      protocol: session.protocol,
    });
    this.#emitter.emit('client-connected', session);
    const queued = conn.queued;
    conn.queued = [];
    for (const data of queued) this.#onMessage(conn, data);
  }

  #hello(conn: GatewayConnection, accepted: HandshakeAccepted) {
    const options = this.#options;
    const defaultAgentId = options.defaultAgentId ?? 'main';
    return buildHello({
      accepted,
      server: { version: this.#version, host: this.#host, connId: conn.connId, ...(options.commit ? { commit: options.commit } : {}), bootId: this.#bootId },
      features: this.#helloFeatures(conn.presenceDeltas === true, accepted.outcome.protocol >= 4),
      snapshot: {
        ...this.#presenceFeed.snapshot(this.#presence.list(), conn.presenceDeltas === true),
        health: this.#health ?? this.#refreshHealth(false),
        stateVersion: this.#stateVersion(),
        uptimeMs: Math.max(0, this.#clock.now() - this.#startedAtMs),
        ...(options.configPath ? { configPath: options.configPath } : {}),
        ...(options.stateDir ? { stateDir: options.stateDir } : {}),
        sessionDefaults: { defaultAgentId, mainKey: 'main', mainSessionKey: `agent:${defaultAgentId}:main` },
      },
      policy: this.policy,
      canvasHostUrl: options.canvasHostUrl,
      authMode: options.auth.mode,
    });
  }

  #onClose(conn: GatewayConnection, code: number, reason: string): void {
    if (conn.phase === 'closed') return;
    const wasReady = conn.ready;
    conn.phase = 'closed';
    conn.queued = [];
    if (conn.handshakeTimer !== undefined) this.#clock.clearTimeout(conn.handshakeTimer);
    this.#conns.delete(conn.connId);
    if (!wasReady || !conn.session) return;
    this.#logger.log('debug', 'gateway/ws', 'disconnected', { connId: conn.connId, code, reason });
    if (conn.presenceKey) {
      const left = (this.#presenceRefs.get(conn.presenceKey) ?? 1) - 1;
      if (left > 0) this.#presenceRefs.set(conn.presenceKey, left);
      else {
        this.#presenceRefs.delete(conn.presenceKey);
        this.#presence.markDisconnected(conn.presenceKey);
      }
    }
    this.#emitter.emit('client-disconnected', { session: conn.session, code, reason });
  }

  #reportError(err: unknown, where: string): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#logger.log('error', 'gateway', `${where} failed: ${error.message}`);
    this.#emitter.emit('error', error);
  }

  #selfPresence(): PresenceEntry {
    this.#hostInfo ??= hostPresence();
    const entry = { host: this.#host, version: this.#version, ...this.#hostInfo, mode: 'gateway', reason: 'self' };
    return { ...entry, text: presenceText(entry), ts: this.#clock.now() };
  }

}
