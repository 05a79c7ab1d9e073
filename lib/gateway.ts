import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { runConnectChecks, type ControlUiAuthOptions } from './connect-checks.js';
import { DevicePairingStore } from './device-pairing-store.js';
import { GatewayError, invalidRequest, toWireError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { canReceiveEvent, methodAccessError, type AccessScope, type Role } from './method-access.js';
import { registerDeviceMethods } from './methods/device-methods.js';
import { registerNodeMethods } from './methods/node-methods.js';
import { registerNodePairMethods } from './methods/node-pair-methods.js';
import { registerSystemMethods } from './methods/system-methods.js';
import { NodeCommandPolicy, type NodeCommandPolicyOptions } from './nodes/node-command-policy.js';
import { NodePairingStore } from './nodes/node-pairing-store.js';
import { NodeRegistry, type NodeEvent } from './nodes/node-registry.js';
import { PresenceStore } from './presence.js';
import { CloseCode, DEFAULT_POLICY, HANDSHAKE_TIMEOUT_MS, eventSpecs, methodSpecs } from './protocol/index.js';
import type {
  ClientInfo,
  ConnectParams,
  GatewayEventMap,
  GatewayMethodMap,
  HelloOk,
  Policy,
  PresenceEntry,
  RequestFrame,
  StateVersion,
} from './protocol/generated/types.js';
import { validatorFor } from './protocol/validate.js';
import { checkSharedAuth, type GatewayAuthConfig } from './shared-auth.js';
import { MemoryStorage, type Storage } from './storage.js';
import type { ConnectionSink, PeerInfo, TransportConnection } from './transport.js';
import { truncateUtf8 } from './truncate-utf8.js';
import { TypedEmitter } from './typed-emitter.js';

export type MethodName = keyof GatewayMethodMap;
export type MethodParams<M extends MethodName> = GatewayMethodMap[M]['params'];
export type MethodResult<M extends MethodName> = GatewayMethodMap[M]['result'];

/** One authenticated peer, as methods and event listeners see it. */
export interface ClientSession {
  readonly connId: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly client: ClientInfo;
  readonly deviceId?: string;
  readonly peer: PeerInfo;
  readonly protocol: number;
  readonly connectedAtMs: number;
  readonly connect: ConnectParams;
}

export interface MethodContext {
  /** The calling connection; undefined for in-process calls through `gateway.call`. */
  readonly session?: ClientSession;
  /** Sends an intermediate `res` on the same request id (two-phase methods such as `agent`). */
  respond(payload: unknown): void;
}

export type MethodHandler<M extends MethodName> = (
  params: MethodParams<M>,
  ctx: MethodContext,
) => MethodResult<M> | Promise<MethodResult<M>>;

/** Typed events of a Gateway: every wire event it broadcasts, plus local lifecycle events. */
export interface GatewayEvents extends GatewayEventMap {
  'client-connected': ClientSession;
  'client-disconnected': { session: ClientSession; code: number; reason: string };
  /** A connected node sent `node.event` (exec lifecycle and others). */
  'node-event': NodeEvent;
  error: Error;
}

export interface ShutdownOptions {
  reason?: string;
  /** Non-null tells clients a restart is expected and roughly when. */
  restartExpectedMs?: number | null;
}

export interface GatewayOptions {
  auth: GatewayAuthConfig;
  /** Reported as `server.version`; defaults to OPENCLAW_VERSION-free "dev" (hosts pass theirs). */
  version?: string;
  commit?: string;
  host?: string;
  policy?: Partial<Policy>;
  handshakeTimeoutMs?: number;
  /** Gateway state (device pairing, ...). Defaults to volatile memory storage. */
  storage?: Storage;
  clock?: Clock;
  logger?: Logger;
  /** Reported in the hello snapshot. */
  stateDir?: string;
  configPath?: string;
  controlUi?: ControlUiAuthOptions;
  presence?: { ttlMs?: number; maxEntries?: number };
  healthRefreshMs?: number;
  /** Server allowlist that node-declared commands are intersected with (`gateway.nodes`). */
  nodes?: NodeCommandPolicyOptions;
  /** Advertised in `hello-ok` (e.g. `http://127.0.0.1:18793`, the canvas host). */
  canvasHostUrl?: string;
  /** Window in which presence changes are collapsed into one `presence` event. Default 50 ms. */
  presenceDebounceMs?: number;
  defaultAgentId?: string;
}

interface ConnState {
  readonly conn: TransportConnection;
  readonly connId: string;
  readonly nonce: string;
  phase: 'handshake' | 'connecting' | 'ready' | 'closed';
  handshakeTimer?: TimerHandle;
  /** Frames that arrived while the connect checks were still running. */
  queued: string[];
  session?: ClientSession;
  presenceKey?: string;
}

type WireEvent = keyof GatewayEventMap;
type AnyHandler = (params: unknown, ctx: MethodContext) => unknown;
/** Params may be left out when the method takes none that are required. */
type CallArgs<M extends MethodName> = {} extends MethodParams<M>
  ? [params?: MethodParams<M>, respond?: (payload: unknown) => void]
  : [params: MethodParams<M>, respond?: (payload: unknown) => void];

const MAX_FRAMES_BEFORE_HELLO = 32;

const validateRequestFrame = validatorFor<RequestFrame>('RequestFrame');
const validateConnectParams = validatorFor<ConnectParams>('ConnectParams');

/**
 * The OpenClaw Gateway core: handshake, auth, dispatch, presence, broadcast. It never touches
 * sockets; transports hand it `TransportConnection`s through `accept()`.
 */
export class Gateway implements ConnectionSink {
  readonly policy: Policy;
  readonly devices: DevicePairingStore;
  readonly presence: PresenceStore;
  readonly nodes: NodeRegistry;
  readonly nodePairing: NodePairingStore;
  readonly #options: GatewayOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #emitter: TypedEmitter<GatewayEvents>;
  readonly #handlers = new Map<string, AnyHandler>();
  readonly #conns = new Map<string, ConnState>();
  /** Live connections per presence key, so a second socket of one device keeps it "present". */
  readonly #presenceRefs = new Map<string, number>();
  readonly #version: string;
  readonly #host: string;
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #startedAtMs = 0;
  #seq = 0;
  #healthVersion = 0;
  #health: GatewayEventMap['health'] | undefined;
  #timers: TimerHandle[] = [];
  #presenceTimer?: TimerHandle;
  #healthBuilder: () => GatewayEventMap['health'];
  #statusBuilder: (base: MethodResult<'status'>) => MethodResult<'status'> = (base) => base;
  readonly #systemEvents: string[] = [];

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#version = options.version ?? 'dev';
    this.#host = options.host ?? hostname();
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.#emitter = new TypedEmitter<GatewayEvents>((err, event) => this.#reportError(err, `listener for ${String(event)}`));
    const storage = options.storage ?? new MemoryStorage();
    this.devices = new DevicePairingStore({ storage, now: () => this.#clock.now() });
    this.presence = new PresenceStore({
      now: () => this.#clock.now(),
      ttlMs: options.presence?.ttlMs,
      maxEntries: options.presence?.maxEntries,
      self: () => this.#selfPresence(),
    });
    this.#healthBuilder = () => this.#baseHealth();
    registerSystemMethods(this);
    registerDeviceMethods(this);
    this.nodes = new NodeRegistry({
      clock: this.#clock,
      policy: new NodeCommandPolicy(options.nodes),
      send: (connId, event, payload) => this.sendEvent(connId, event, payload),
    });
    this.nodePairing = new NodePairingStore({ storage, now: () => this.#clock.now() });
    registerNodeMethods(this, (event) => this.#emitter.emit('node-event', event));
    registerNodePairMethods(this);
  }

  get version(): string {
    return this.#version;
  }

  get host(): string {
    return this.#host;
  }

  get uptimeMs(): number {
    return this.#startedAtMs ? Math.max(0, this.#clock.now() - this.#startedAtMs) : 0;
  }

  get stateVersion(): StateVersion {
    return { presence: this.presence.version, health: this.#healthVersion };
  }

  get defaultAgentId(): string {
    return this.#options.defaultAgentId ?? 'main';
  }

  get stateDir(): string | undefined {
    return this.#options.stateDir;
  }

  get logger(): Logger {
    return this.#logger;
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Connected, authenticated sessions. */
  sessions(): ClientSession[] {
    const out: ClientSession[] = [];
    for (const state of this.#conns.values()) if (state.phase === 'ready' && state.session) out.push(state.session);
    return out;
  }

  on<K extends keyof GatewayEvents>(event: K, listener: (payload: GatewayEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Installs the handler of a schema-declared method; its access rule comes from the schema. */
  registerMethod<M extends MethodName>(method: M, handler: MethodHandler<M>): void {
    if (!(method in methodSpecs)) throw new Error(`method ${method} is not declared in schema/protocol`);
    this.#handlers.set(method, handler as unknown as AnyHandler);
  }

  /** Methods with a handler, i.e. what `hello-ok.features.methods` advertises. */
  methods(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Events this gateway emits. */
  events(): string[] {
    return Object.keys(eventSpecs);
  }

  /**
   * Adds a stage to how the health summary is computed (channels and sessions plug in here):
   * each builder gets the summary as built so far, so several features can contribute.
   */
  addHealthStage(builder: (base: GatewayEventMap['health']) => GatewayEventMap['health']): void {
    const previous = this.#healthBuilder;
    this.#healthBuilder = () => builder(previous());
  }

  /**
   * HTTP bearer auth (protocol §8.1): the presented secret is tried as the token and as the
   * password of the configured auth mode, in constant time.
   */
  verifySharedSecret(secret: string): boolean {
    return checkSharedAuth(this.#options.auth, { token: secret, password: secret }).ok;
  }

  /** Adds a stage to the `status` result, after it was derived from health (e.g. session defaults). */
  addStatusStage(builder: (base: MethodResult<'status'>) => MethodResult<'status'>): void {
    const previous = this.#statusBuilder;
    this.#statusBuilder = (base) => builder(previous(base));
  }

  buildStatus(base: MethodResult<'status'>): MethodResult<'status'> {
    return this.#statusBuilder(base);
  }

  queuedSystemEvents(): string[] {
    return [...this.#systemEvents];
  }

  enqueueSystemEvent(text: string): void {
    this.#systemEvents.push(text);
    if (this.#systemEvents.length > 20) this.#systemEvents.shift();
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new GatewayError('CLOSED', `gateway cannot start from state ${this.#state}`);
    this.#state = 'starting';
    await this.devices.load();
    await this.nodePairing.load();
    this.#startedAtMs = this.#clock.now();
    this.refreshHealth(false);
    this.#timers.push(
      this.#clock.setInterval(() => this.broadcast('tick', { ts: this.#clock.now() }), this.policy.tickIntervalMs),
      this.#clock.setInterval(() => this.refreshHealth(true), this.#options.healthRefreshMs ?? 60_000),
    );
    this.#state = 'running';
    this.#logger.log('info', 'gateway', 'gateway started', { version: this.#version });
  }

  /** Recomputes the health summary; with `broadcast`, announces it as a `health` event. */
  refreshHealth(broadcast: boolean): GatewayEventMap['health'] {
    const started = this.#clock.now();
    const summary = this.#healthBuilder();
    summary.durationMs = Math.max(0, this.#clock.now() - started);
    this.#health = summary;
    this.#healthVersion++;
    if (broadcast) this.broadcast('health', summary, { stateVersion: true });
    return summary;
  }

  currentHealth(): GatewayEventMap['health'] {
    return this.#health ?? this.refreshHealth(false);
  }

  /** Sends `shutdown`, closes every connection with 1012 and stops all timers. Idempotent. */
  async close(options: ShutdownOptions = {}): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    for (const t of this.#timers) this.#clock.clearInterval(t);
    this.#timers = [];
    if (this.#presenceTimer !== undefined) this.#clock.clearTimeout(this.#presenceTimer);
    this.#presenceTimer = undefined;
    this.broadcast('shutdown', {
      reason: options.reason ?? 'gateway stopping',
      restartExpectedMs: options.restartExpectedMs ?? null,
    });
    for (const state of [...this.#conns.values()]) state.conn.close(CloseCode.ServiceRestart, 'service restart');
    this.#logger.log('info', 'gateway', 'gateway stopped', { reason: options.reason ?? 'gateway stopping' });
  }

  /** In-process call with full (admin) rights; params are validated like wire params. */
  async call<M extends MethodName>(method: M, ...[params, respond]: CallArgs<M>): Promise<MethodResult<M>> {
    const handler = this.#handlers.get(method);
    if (!handler) throw invalidRequest(`unknown method: ${method}`);
    const checked = this.#validateParams(method, params ?? {});
    return (await handler(checked, { respond: respond ?? (() => {}) })) as MethodResult<M>;
  }

  accept(conn: TransportConnection): void {
    if (this.#state !== 'running') {
      conn.close(CloseCode.ServiceRestart, this.#state === 'closed' ? 'service restart' : 'gateway starting');
      return;
    }
    const state: ConnState = { conn, connId: randomUUID(), nonce: randomUUID(), phase: 'handshake', queued: [] };
    this.#conns.set(state.connId, state);
    conn.onmessage = (data) => this.#onMessage(state, data);
    conn.onclose = (code, reason) => this.#onClose(state, code, reason);
    state.handshakeTimer = this.#clock.setTimeout(() => {
      if (state.phase === 'handshake' || state.phase === 'connecting') {
        this.#logger.log('debug', 'gateway/ws', 'handshake timeout', { connId: state.connId });
        conn.close(CloseCode.PolicyViolation, 'handshake timeout');
      }
    }, this.#options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    conn.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: state.nonce, ts: this.#clock.now() } }));
  }

  /**
   * Sends an event to every authenticated connection allowed to see it, with the next global
   * `seq`. Slow consumers skip droppable events and are closed for the others.
   */
  broadcast<E extends WireEvent>(event: E, payload: GatewayEventMap[E], options: { stateVersion?: boolean } = {}): void {
    const spec = eventSpecs[event as keyof typeof eventSpecs] as { dropIfSlow: boolean; scope?: AccessScope } | undefined;
    const seq = ++this.#seq;
    const frame: Record<string, unknown> = { type: 'event', event, payload, seq };
    if (options.stateVersion) frame.stateVersion = this.stateVersion;
    const text = JSON.stringify(frame);
    for (const state of this.#conns.values()) {
      const session = state.session;
      if (state.phase !== 'ready' || !session) continue;
      if (!canReceiveEvent(session.role, session.scopes, spec?.scope)) continue;
      if (state.conn.bufferedAmount > this.policy.maxBufferedBytes) {
        if (spec?.dropIfSlow) continue;
        this.#closeSlow(state);
        continue;
      }
      state.conn.send(text);
    }
    this.#emitter.emit(event, payload as GatewayEvents[E]);
  }

  /** Sends an event to one connection, without `seq` (node-directed events). */
  sendEvent(connId: string, event: string, payload: unknown): boolean {
    const state = this.#conns.get(connId);
    if (!state || state.phase !== 'ready') return false;
    return this.#sendFrame(state, JSON.stringify({ type: 'event', event, payload }));
  }

  /**
   * Announces the presence list. Every event carries the whole list to every client, so a burst of
   * joins (a reconnect storm after a restart) is collapsed into one event per debounce window.
   */
  broadcastPresence(): void {
    if (this.#presenceTimer !== undefined || this.#state !== 'running') return;
    this.#presenceTimer = this.#clock.setTimeout(() => {
      this.#presenceTimer = undefined;
      if (this.#state === 'running') this.broadcast('presence', { presence: this.presence.list() }, { stateVersion: true });
    }, this.#options.presenceDebounceMs ?? 50);
  }

  #onMessage(state: ConnState, data: string): void {
    if (state.phase === 'closed') return;
    if (exceedsBytes(data, this.policy.maxPayload)) {
      state.conn.close(CloseCode.MessageTooBig, 'payload too large');
      return;
    }
    if (state.phase === 'connecting') {
      // Real clients wait for hello-ok; a peer that floods during the connect checks is not one.
      if (state.queued.length >= MAX_FRAMES_BEFORE_HELLO) {
        state.conn.close(CloseCode.PolicyViolation, 'too many frames before hello-ok');
        return;
      }
      state.queued.push(data);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      if (state.phase === 'handshake') {
        state.conn.close(CloseCode.PolicyViolation, 'invalid request frame');
      } else {
        this.#logger.log('warn', 'gateway/ws', 'malformed JSON ignored', { connId: state.connId });
      }
      return;
    }
    // Both answer every expected failure on the socket; anything else is a bug worth an error event.
    if (state.phase === 'handshake') {
      this.#handshake(state, parsed).catch((err: unknown) => this.#reportError(err, 'handshake'));
      return;
    }
    this.#dispatch(state, parsed).catch((err: unknown) => this.#reportError(err, 'request'));
  }

  async #handshake(state: ConnState, parsed: unknown): Promise<void> {
    const frame = validateRequestFrame(parsed);
    if (!frame.ok) {
      state.conn.close(CloseCode.PolicyViolation, 'invalid request frame');
      return;
    }
    const { id, method, params } = frame.value;
    if (method !== 'connect') {
      this.#failHandshake(state, id, invalidRequest('invalid handshake: first request must be connect'));
      return;
    }
    const checked = validateConnectParams(params);
    if (!checked.ok) {
      this.#failHandshake(state, id, invalidRequest(`invalid connect params: ${checked.message}`));
      return;
    }
    state.phase = 'connecting';
    const connect = checked.value;
    let outcome;
    try {
      outcome = await runConnectChecks({
        params: connect,
        nonce: state.nonce,
        peer: state.conn.peer,
        now: this.#clock.now(),
        auth: this.#options.auth,
        controlUi: this.#options.controlUi ?? {},
        devices: this.devices,
      });
    } catch (err) {
      this.#reportError(err, 'connect checks');
      this.#failHandshake(state, id, new GatewayError('UNAVAILABLE', 'connect failed'), 'connect failed');
      return;
    }
    if (state.phase !== 'connecting') return;
    if (!outcome.ok) {
      if (outcome.pairingRequest) this.broadcast('device.pair.requested', outcome.pairingRequest);
      this.#logger.log('info', 'gateway/ws', 'connect refused', { connId: state.connId, reason: outcome.error.message });
      this.#failHandshake(state, id, outcome.error, outcome.closeReason, outcome.closeCode);
      return;
    }

    let issued: { token: string; createdAtMs: number; rotatedAtMs?: number } | undefined;
    if (outcome.deviceId) {
      try {
        issued = await this.devices.ensureToken(outcome.deviceId, outcome.role, outcome.scopes);
      } catch (err) {
        this.#reportError(err, 'device token');
        this.#failHandshake(state, id, new GatewayError('UNAVAILABLE', 'connect failed'), 'connect failed');
        return;
      }
      if (state.phase !== 'connecting') return;
    }

    if (state.handshakeTimer !== undefined) this.#clock.clearTimeout(state.handshakeTimer);
    const session: ClientSession = {
      connId: state.connId,
      role: outcome.role,
      scopes: outcome.scopes,
      client: connect.client,
      deviceId: outcome.deviceId,
      peer: state.conn.peer,
      protocol: outcome.protocol,
      connectedAtMs: this.#clock.now(),
      connect,
    };
    state.session = session;
    state.phase = 'ready';

    const trackPresence = connect.client.mode !== 'cli';
    if (trackPresence) {
      // Presence keys are case-insensitive; so is the count of live connections behind each.
      state.presenceKey = (outcome.deviceId ?? connect.client.instanceId ?? state.connId).toLowerCase();
      this.#presenceRefs.set(state.presenceKey, (this.#presenceRefs.get(state.presenceKey) ?? 0) + 1);
      this.presence.upsert(state.presenceKey, presenceFromConnect(session));
    }

    const hello: HelloOk = {
      type: 'hello-ok',
      protocol: outcome.protocol,
      server: { version: this.#version, host: this.#host, connId: state.connId, ...(this.#options.commit ? { commit: this.#options.commit } : {}) },
      features: { methods: this.methods(), events: this.events() },
      snapshot: {
        presence: this.presence.list(),
        health: this.currentHealth(),
        stateVersion: this.stateVersion,
        uptimeMs: this.uptimeMs,
        ...(this.#options.configPath ? { configPath: this.#options.configPath } : {}),
        ...(this.#options.stateDir ? { stateDir: this.#options.stateDir } : {}),
        sessionDefaults: {
          defaultAgentId: this.defaultAgentId,
          mainKey: 'main',
          mainSessionKey: `agent:${this.defaultAgentId}:main`,
        },
      },
      ...(this.#options.canvasHostUrl ? { canvasHostUrl: this.#options.canvasHostUrl } : {}),
      policy: this.policy,
    };
    if (issued) {
      hello.auth = {
        deviceToken: issued.token,
        role: outcome.role,
        scopes: outcome.scopes,
        issuedAtMs: issued.rotatedAtMs ?? issued.createdAtMs,
      };
    } else if (outcome.protocol >= 4) {
      hello.auth = { role: outcome.role, scopes: outcome.scopes };
    }
    this.#sendRes(state, id, true, hello);
    this.#logger.log('debug', 'gateway/ws', 'connected', {
      connId: state.connId,
      client: connect.client.id,
      mode: connect.client.mode,
      role: outcome.role,
      auth: outcome.authMethod,
      protocol: outcome.protocol,
    });
    this.#emitter.emit('client-connected', session);
    if (trackPresence) this.broadcastPresence();

    const queued = state.queued;
    state.queued = [];
    for (const data of queued) this.#onMessage(state, data);
  }

  #failHandshake(state: ConnState, id: string, error: GatewayError, reason = error.message, code: number = CloseCode.PolicyViolation): void {
    this.#sendRes(state, id, false, undefined, error);
    state.conn.close(code, truncateUtf8(reason || 'invalid handshake', 120));
  }

  async #dispatch(state: ConnState, parsed: unknown): Promise<void> {
    const session = state.session!;
    const frame = validateRequestFrame(parsed);
    if (!frame.ok) {
      const rawId = (parsed as { id?: unknown } | null)?.id;
      const id = typeof rawId === 'string' && rawId ? rawId : 'invalid';
      this.#sendRes(state, id, false, undefined, invalidRequest(`invalid request frame: ${frame.message}`));
      return;
    }
    const { id, method } = frame.value;
    const started = this.#clock.now();
    this.#logger.log('debug', 'gateway/ws', 'request', { connId: state.connId, id, method });
    try {
      if (method === 'connect') throw invalidRequest('connect is only valid as the first request');
      const handler = this.#handlers.get(method);
      const spec = methodSpecs[method as keyof typeof methodSpecs] as { scope: AccessScope } | undefined;
      if (!handler || !spec) throw invalidRequest(`unknown method: ${method}`);
      const denied = methodAccessError(session.role, session.scopes, spec.scope);
      if (denied) throw invalidRequest(denied);
      const params = this.#validateParams(method, frame.value.params ?? {});
      const result = await handler(params, {
        session,
        respond: (payload) => this.#sendRes(state, id, true, payload),
      });
      this.#sendRes(state, id, true, result);
      this.#logger.log('debug', 'gateway/ws', 'response', { connId: state.connId, id, method, ok: true, ms: this.#clock.now() - started });
    } catch (err) {
      if (!(err instanceof GatewayError)) this.#reportError(err, `method ${method}`);
      this.#sendRes(state, id, false, err instanceof GatewayError ? err.payload : undefined, err);
      this.#logger.log('debug', 'gateway/ws', 'response', { connId: state.connId, id, method, ok: false, ms: this.#clock.now() - started });
    }
  }

  #validateParams(method: string, params: unknown): unknown {
    const spec = methodSpecs[method as keyof typeof methodSpecs];
    const result = validatorFor(spec.params)(params);
    if (!result.ok) throw invalidRequest(`invalid ${method} params: ${result.message}`);
    return result.value;
  }

  #sendRes(state: ConnState, id: string, ok: boolean, payload?: unknown, error?: unknown): void {
    const frame: Record<string, unknown> = { type: 'res', id, ok };
    if (payload !== undefined) frame.payload = payload;
    if (error !== undefined) frame.error = toWireError(error);
    this.#sendFrame(state, JSON.stringify(frame));
  }

  /** Responses are never dropped; a peer that stopped reading is closed instead of buffered forever. */
  #sendFrame(state: ConnState, text: string): boolean {
    if (state.phase === 'closed') return false;
    if (state.conn.bufferedAmount > this.policy.maxBufferedBytes) {
      this.#closeSlow(state);
      return false;
    }
    state.conn.send(text);
    return true;
  }

  #closeSlow(state: ConnState): void {
    this.#logger.log('warn', 'gateway/ws', 'slow consumer closed', { connId: state.connId, buffered: state.conn.bufferedAmount });
    state.conn.close(CloseCode.PolicyViolation, 'slow consumer');
  }

  #onClose(state: ConnState, code: number, reason: string): void {
    if (state.phase === 'closed') return;
    const wasReady = state.phase === 'ready';
    state.phase = 'closed';
    state.queued = [];
    if (state.handshakeTimer !== undefined) this.#clock.clearTimeout(state.handshakeTimer);
    this.#conns.delete(state.connId);
    if (!wasReady || !state.session) return;
    this.#logger.log('debug', 'gateway/ws', 'disconnected', { connId: state.connId, code, reason });
    if (state.presenceKey) {
      const left = (this.#presenceRefs.get(state.presenceKey) ?? 1) - 1;
      if (left > 0) {
        this.#presenceRefs.set(state.presenceKey, left);
      } else {
        this.#presenceRefs.delete(state.presenceKey);
        this.presence.markDisconnected(state.presenceKey);
        this.broadcastPresence();
      }
    }
    this.#emitter.emit('client-disconnected', { session: state.session, code, reason });
  }

  #reportError(err: unknown, where: string): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#logger.log('error', 'gateway', `${where} failed: ${error.message}`);
    this.#emitter.emit('error', error);
  }

  #selfPresence(): PresenceEntry {
    return {
      host: this.#host,
      version: this.#version,
      platform: process.platform,
      mode: 'gateway',
      reason: 'self',
      ts: this.#clock.now(),
    };
  }

  #baseHealth(): GatewayEventMap['health'] {
    const agentId = this.defaultAgentId;
    const sessionsPath = this.#options.stateDir ? `${this.#options.stateDir}/agents/${agentId}/sessions/sessions.json` : '';
    const sessions = { path: sessionsPath, count: 0, recent: [] };
    return {
      ok: true,
      ts: this.#clock.now(),
      durationMs: 0,
      channels: {},
      channelOrder: [],
      channelLabels: {},
      heartbeatSeconds: 0,
      defaultAgentId: agentId,
      agents: [{ agentId, isDefault: true, heartbeat: { enabled: false, everyMs: null }, sessions }],
      sessions,
    };
  }
}

function presenceFromConnect(session: ClientSession): Omit<PresenceEntry, 'ts'> {
  const c = session.client;
  return {
    host: c.displayName ?? c.id,
    ip: session.peer.remoteAddress,
    version: c.version,
    platform: c.platform,
    deviceFamily: c.deviceFamily,
    modelIdentifier: c.modelIdentifier,
    mode: c.mode,
    reason: 'connect',
    deviceId: session.deviceId,
    roles: [session.role],
    scopes: [...session.scopes],
    instanceId: c.instanceId,
  };
}

/** UTF-8 size check that skips the byte count when the character count already decides it. */
function exceedsBytes(text: string, max: number): boolean {
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return Buffer.byteLength(text, 'utf8') > max;
}
