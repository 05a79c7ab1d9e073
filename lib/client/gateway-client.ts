import WebSocket from 'isomorphic-ws';
import type { Clock, TimerHandle } from '../clock.js';
import { buildDeviceAuthPayload, type DeviceSigner } from '../device-auth-payload.js';
import { GatewayError } from '../errors.js';
import { CloseCode } from '../protocol/constants.js';
import { ResumeTracker, type ResumePoint } from './resume-tracker.js';
import type {
  ClientInfo,
  ConnectParams,
  ErrorShape,
  EventFrame,
  GatewayEventMap,
  GatewayMethodMap,
  HealthSummary,
  HelloOk,
  PresenceEntry,
  RequestFrame,
  ResponseFrame,
} from '../protocol/generated/types.js';

/**
 * `idle` before `connect()`; `connecting` also while waiting to reconnect; `closed` after
 * `close()` or a final failure.
 */
export type GatewayClientState = 'idle' | 'connecting' | 'open' | 'closed';

// Method-shaped so parameters compare bivariantly: DOM `WebSocket` and `ws` sockets both fit without casts.
type SocketHandler<E> = { handle(event: E): void }['handle'];

/** The part of a WebSocket the client uses; anything shaped like it (memory pair, stdio pipe) works. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: SocketHandler<{ data: unknown }> | null;
  onclose: SocketHandler<{ code: number; reason: string }> | null;
  onerror: SocketHandler<unknown> | null;
}

/** `client` as sent in `connect`; `id` defaults to `gateway-client` and `mode` to `backend`. */
export type GatewayClientInfo = Omit<ClientInfo, 'id' | 'mode'> & Partial<Pick<ClientInfo, 'id' | 'mode'>>;

export interface ReconnectOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface GatewayClientOptions {
  url: string;
  /** Shared gateway token (`auth.token`). */
  token?: string;
  password?: string;
  /** Device identity; without it the gateway requires a shared token. */
  signer?: DeviceSigner;
  /** A device token from an earlier `hello-ok`, sent as `auth.token` when no shared token is given. */
  deviceToken?: string;
  client: GatewayClientInfo;
  role?: string;
  /** Sent (and signed) as given; the gateway treats none as `operator.admin` for operators. */
  scopes?: string[];
  caps?: string[];
  commands?: string[];
  permissions?: Record<string, boolean>;
  pathEnv?: string;
  minProtocol?: number;
  maxProtocol?: number;
  requestTimeoutMs?: number;
  /** Socket open + `connect.challenge` + `hello-ok` must all happen within this. */
  connectTimeoutMs?: number;
  reconnect?: boolean | ReconnectOptions;
  /**
   * Ask for event cursors (`connect.resume`): after a reconnect, to this gateway or another
   * instance of its cluster, the gateway first replays the events missed since the last cursor.
   * Pass a saved {@link GatewayClient.resumePoint} to resume across restarts of the client.
   */
  resume?: boolean | ResumePoint;
  clock?: Clock;
  signatureVersion?: 'v2' | 'v3';
  createSocket?: (url: string) => WebSocketLike;
}

export interface GatewayCallOptions {
  timeoutMs?: number;
  /** For two-phase methods (`agent`): skip the `{status:"accepted"}` ack and resolve with the final `res`. */
  expectFinal?: boolean;
}

/** Events the client raises itself, next to the gateway's own events. */
export interface GatewayClientLocalEvents {
  hello: [hello: HelloOk];
  close: [info: { code: number; reason: string }];
  reconnecting: [info: { attempt: number; delayMs: number }];
  /** Reconnecting stopped for good: the gateway refused the handshake (auth, pairing). */
  'reconnect-failed': [error: GatewayError];
  /** Broadcast events were missed; a `refresh` follows. */
  gap: [info: { expected: number; received: number }];
  refresh: [state: { health: HealthSummary; presence: PresenceEntry[] }];
  /** The gateway issued a new device token; persist it and pass it back as `deviceToken`. */
  'device-token': [info: { deviceToken: string; role: string; scopes: string[] }];
  error: [error: unknown];
}

export type GatewayClientEvents = {
  [E in keyof GatewayEventMap]: [payload: GatewayEventMap[E], frame: EventFrame];
} & GatewayClientLocalEvents;

type MethodParams<M extends keyof GatewayMethodMap> = GatewayMethodMap[M]['params'];
type CallArgs<M extends keyof GatewayMethodMap> = {} extends MethodParams<M>
  ? [params?: MethodParams<M>, options?: GatewayCallOptions]
  : [params: MethodParams<M>, options?: GatewayCallOptions];

type AnyListener = (...args: never[]) => void;

interface PendingCall {
  resolve(payload: unknown): void;
  reject(error: GatewayError): void;
  timer: TimerHandle;
  expectFinal: boolean;
}

interface Waiter {
  resolve(hello: HelloOk): void;
  reject(error: GatewayError): void;
}

const OPEN = 1;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

// Unlike `systemClock` these timers keep the process alive: a client waiting to reconnect must not
// let its host exit.
const clientClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as Parameters<typeof clearInterval>[0]),
};

/**
 * A typed Gateway client: challenge/connect handshake (optionally device-signed), request/response
 * correlation, typed events, tick watchdog, seq-gap refresh and reconnect with capped backoff.
 * Browser-safe: no Node built-ins, key material stays behind `DeviceSigner`.
 */
export class GatewayClient {
  readonly #options: GatewayClientOptions;
  readonly #client: ClientInfo;
  readonly #clock: Clock;
  readonly #createSocket: (url: string) => WebSocketLike;
  readonly #reconnect: Required<ReconnectOptions> | undefined;
  readonly #listeners = new Map<string, Set<AnyListener>>();
  readonly #pending = new Map<string, PendingCall>();
  #waiters: Waiter[] = [];
  #state: GatewayClientState = 'idle';
  #socket: WebSocketLike | undefined;
  /** The id of the `connect` request on the current socket, set once the challenge arrived. */
  #connectId: string | undefined;
  /** The current socket completed its handshake. */
  #ready = false;
  #hello: HelloOk | undefined;
  #deviceToken: string | undefined;
  #lastSeq: number | undefined;
  readonly #resume: ResumeTracker | undefined;
  #nextId = 0;
  /** Only a connection that once reached `hello-ok` is re-established after it drops. */
  #retry = false;
  #reconnectAttempt = 0;
  #stopped = false;
  readonly #timers: Partial<Record<'connect' | 'tick' | 'reconnect', TimerHandle>> = {};

  constructor(options: GatewayClientOptions) {
    this.#options = options;
    this.#client = { ...options.client, id: options.client.id ?? 'gateway-client', mode: options.client.mode ?? 'backend' };
    this.#clock = options.clock ?? clientClock;
    this.#createSocket = options.createSocket ?? ((url) => new WebSocket(url));
    const reconnect = options.reconnect ?? true;
    const backoff = typeof reconnect === 'object' ? reconnect : {};
    this.#reconnect =
      reconnect === false
        ? undefined
        : { initialDelayMs: backoff.initialDelayMs ?? 500, maxDelayMs: backoff.maxDelayMs ?? 5_000 };
    this.#deviceToken = options.deviceToken;
    this.#resume = options.resume ? new ResumeTracker(options.resume) : undefined;
  }

  /** With `resume`: the stream and last cursor received, to save and pass back as `resume` later. */
  get resumePoint(): ResumePoint | undefined {
    return this.#resume?.point;
  }

  /** Where the connection stands; see {@link GatewayClientState}. */
  get state(): GatewayClientState {
    return this.#state;
  }

  /** The latest `hello-ok` (snapshot, policy, features), once connected. */
  get hello(): HelloOk | undefined {
    return this.#hello;
  }

  /**
   * Settles with the next handshake: resolves with `hello-ok`, rejects with the gateway's error
   * or a transport failure. A first connection that fails is not retried; one that drops after
   * `hello-ok` reconnects on its own.
   */
  connect(): Promise<HelloOk> {
    if (this.#stopped) return Promise.reject(new GatewayError('CLOSED', 'client was closed'));
    if (this.#state === 'open' && this.#hello) return Promise.resolve(this.#hello);
    const promise = new Promise<HelloOk>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#state === 'idle' || this.#state === 'closed') {
      this.#retry = false;
      this.#state = 'connecting';
      this.#open();
    }
    return promise;
  }

  /** Closes the connection for good: no reconnect, pending calls reject. */
  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#retry = false;
    this.#clearTimer('reconnect');
    const error = new GatewayError('CLOSED', 'client was closed');
    if (this.#socket) this.#drop(this.#socket, CloseCode.Normal, 'client closed', { failure: error });
    this.#rejectWaiters(error);
    this.#state = 'closed';
  }

  /**
   * Sends a request once connected and resolves with its result, or rejects with a
   * {@link GatewayError}: the gateway's error, `TIMEOUT` (`timeoutMs`, default 30 s),
   * `CONNECTION_CLOSED` (not connected, or the connection dropped) or `CLOSED` (after `close()`).
   * For `agent` the first answer is the `accepted` ack; pass `expectFinal: true` to wait for the
   * final result instead.
   */
  call<M extends keyof GatewayMethodMap>(method: M, ...args: CallArgs<M>): Promise<GatewayMethodMap[M]['result']>;
  /** A method the schema does not declare (a host's custom method): name its result type `R`. */
  call<R = unknown, M extends string = string>(
    method: M extends keyof GatewayMethodMap ? never : M,
    params?: unknown,
    options?: GatewayCallOptions,
  ): Promise<R>;
  call(method: string, params?: unknown, options: GatewayCallOptions = {}): Promise<unknown> {
    if (this.#stopped) return Promise.reject(new GatewayError('CLOSED', 'client was closed'));
    const socket = this.#socket;
    if (!socket || !this.#ready) {
      return Promise.reject(new GatewayError('CONNECTION_CLOSED', `not connected; cannot call ${method}`));
    }
    const id = this.#newId();
    const frame: RequestFrame = { type: 'req', id, method, params };
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return new Promise<unknown>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#pending.delete(id);
        reject(new GatewayError('TIMEOUT', `${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer, expectFinal: options.expectFinal ?? false });
      try {
        socket.send(JSON.stringify(frame));
      } catch (err) {
        this.#clock.clearTimeout(timer);
        this.#pending.delete(id);
        reject(new GatewayError('CONNECTION_CLOSED', `cannot send ${method}`, { cause: err }));
      }
    });
  }

  /** Listens to a gateway event (payload, raw frame) or a local one; returns the unsubscribe function. */
  on<E extends keyof GatewayClientEvents>(event: E, listener: (...args: GatewayClientEvents[E]) => void): () => void;
  on<E extends string>(
    event: E extends keyof GatewayClientEvents ? never : E,
    listener: (payload: unknown, frame: EventFrame) => void,
  ): () => void;
  on(event: string, listener: AnyListener): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  #open(): void {
    let socket: WebSocketLike;
    try {
      socket = this.#createSocket(this.#options.url);
    } catch (err) {
      // A factory that throws (bad URL) will throw again: not worth retrying.
      this.#afterDrop(false, new GatewayError('CONNECTION_CLOSED', 'cannot open the socket', { cause: err }), true);
      return;
    }
    this.#socket = socket;
    this.#connectId = undefined;
    this.#ready = false;
    this.#lastSeq = undefined;
    let socketError: unknown;
    socket.onerror = (event) => {
      socketError = (event as { error?: unknown } | undefined)?.error ?? event;
    };
    socket.onmessage = (event) => this.#onMessage(socket, event.data);
    socket.onclose = (event) => {
      const reason = String(event.reason ?? '');
      const handshake = socket === this.#socket && !this.#ready;
      this.#drop(socket, event.code, reason, {
        failure: new GatewayError(
          'CONNECTION_CLOSED',
          `connection closed${handshake ? ' during handshake' : ''} (${event.code}${reason ? ` ${reason}` : ''})`,
          { cause: socketError },
        ),
        // The gateway closes 1008/1002 when it rejects the connect itself; the same params would fail again.
        fatal: handshake && (event.code === CloseCode.PolicyViolation || event.code === CloseCode.ProtocolError),
      });
    };
    const timeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#timers.connect = this.#clock.setTimeout(() => {
      delete this.#timers.connect;
      this.#drop(socket, CloseCode.Normal, 'connect timeout', {
        failure: new GatewayError('TIMEOUT', `no hello-ok within ${timeoutMs} ms`),
      });
    }, timeoutMs);
  }

  #onMessage(socket: WebSocketLike, data: unknown): void {
    if (socket !== this.#socket) return;
    let frame: unknown;
    try {
      frame = JSON.parse(String(data));
    } catch {
      // Text frames that are not JSON carry nothing we could act on; the gateway does the same.
      return;
    }
    if (!isObject(frame)) return;
    if (frame.type === 'res') this.#onResponse(socket, frame as unknown as ResponseFrame);
    else if (frame.type === 'event') this.#onEvent(socket, frame as unknown as EventFrame);
  }

  #onResponse(socket: WebSocketLike, frame: ResponseFrame): void {
    if (!this.#ready && frame.id === this.#connectId) {
      if (frame.ok) {
        this.#onHello(socket, frame.payload as HelloOk);
        return;
      }
      const error = GatewayError.fromWire(frame.error ?? unknownError('connect failed'));
      const fatal = !error.retryable && (error.code === 'INVALID_REQUEST' || error.code === 'NOT_PAIRED');
      this.#drop(socket, CloseCode.PolicyViolation, 'connect failed', { failure: error, fatal });
      return;
    }
    const call = this.#pending.get(frame.id);
    if (!call) return;
    if (frame.ok && call.expectFinal && isAccepted(frame.payload)) return;
    this.#pending.delete(frame.id);
    this.#clock.clearTimeout(call.timer);
    if (frame.ok) call.resolve(frame.payload);
    else call.reject(GatewayError.fromWire(frame.error ?? unknownError('request failed')));
  }

  #onEvent(socket: WebSocketLike, frame: EventFrame): void {
    if (frame.event === 'connect.challenge' && !this.#ready && this.#connectId === undefined) {
      const nonce = isObject(frame.payload) && typeof frame.payload.nonce === 'string' ? frame.payload.nonce : undefined;
      this.#sendConnect(socket, nonce).catch((err: unknown) => this.#emit('error', err));
    }
    if (!this.#ready) {
      this.#emit(frame.event, frame.payload, frame);
      return;
    }
    if (frame.event === 'tick') this.#armTickWatchdog(socket);
    this.#resume?.onEvent(frame);
    let gap: { expected: number; received: number } | undefined;
    if (typeof frame.seq === 'number') {
      if (this.#lastSeq !== undefined && frame.seq > this.#lastSeq + 1) {
        gap = { expected: this.#lastSeq + 1, received: frame.seq };
      }
      this.#lastSeq = frame.seq;
    }
    if (gap) this.#emit('gap', gap);
    this.#emit(frame.event, frame.payload, frame);
    if (gap) this.#refresh();
  }

  async #sendConnect(socket: WebSocketLike, nonce: string | undefined): Promise<void> {
    const id = this.#newId();
    this.#connectId = id;
    let params: ConnectParams;
    try {
      params = await this.#connectParams(nonce);
    } catch (err) {
      this.#drop(socket, CloseCode.Normal, 'connect failed', {
        failure: new GatewayError('UNAVAILABLE', 'device signer failed', { cause: err }),
      });
      return;
    }
    if (socket !== this.#socket) return;
    const frame: RequestFrame = { type: 'req', id, method: 'connect', params };
    socket.send(JSON.stringify(frame));
  }

  async #connectParams(nonce: string | undefined): Promise<ConnectParams> {
    const o = this.#options;
    const client = this.#client;
    const role = o.role ?? 'operator';
    const token = o.token ?? this.#deviceToken;
    const params: ConnectParams = {
      minProtocol: o.minProtocol ?? 3,
      maxProtocol: o.maxProtocol ?? 4,
      client,
      caps: o.caps,
      commands: o.commands,
      permissions: o.permissions,
      pathEnv: o.pathEnv,
      role,
      scopes: o.scopes,
      auth: token === undefined && o.password === undefined ? undefined : { token, password: o.password },
    };
    if (this.#resume) params.resume = this.#resume.request();
    const signer = o.signer;
    if (signer) {
      const signedAt = this.#clock.now();
      const payload = buildDeviceAuthPayload(o.signatureVersion ?? 'v3', {
        deviceId: signer.deviceId,
        clientId: client.id,
        clientMode: client.mode,
        role,
        scopes: o.scopes ?? [],
        signedAtMs: signedAt,
        token: token ?? '',
        nonce,
        platform: client.platform,
        deviceFamily: client.deviceFamily,
      });
      const signature = await signer.sign(payload);
      params.device = { id: signer.deviceId, publicKey: signer.publicKey, signature, signedAt, nonce };
    }
    return params;
  }

  #onHello(socket: WebSocketLike, hello: HelloOk): void {
    this.#clearTimer('connect');
    this.#hello = hello;
    this.#ready = true;
    this.#state = 'open';
    this.#retry = this.#reconnect !== undefined;
    this.#reconnectAttempt = 0;
    this.#armTickWatchdog(socket);
    const auth = hello.auth;
    if (auth?.deviceToken && auth.deviceToken !== this.#deviceToken) {
      this.#deviceToken = auth.deviceToken;
      this.#emit('device-token', { deviceToken: auth.deviceToken, role: auth.role, scopes: auth.scopes });
    }
    this.#emit('hello', hello);
    const gap = this.#resume?.onHello(hello);
    if (gap) this.#emit('gap', gap);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve(hello);
    if (gap) this.#refresh();
  }

  // Any silence past two intervals means a dead peer the TCP stack has not noticed yet.
  #armTickWatchdog(socket: WebSocketLike): void {
    this.#clearTimer('tick');
    const intervalMs = this.#hello?.policy?.tickIntervalMs;
    if (!intervalMs || intervalMs <= 0) return;
    this.#timers.tick = this.#clock.setTimeout(() => {
      delete this.#timers.tick;
      this.#drop(socket, CloseCode.TickTimeout, 'tick timeout', {
        failure: new GatewayError('CONNECTION_CLOSED', `no tick for ${intervalMs * 2} ms`),
      });
    }, intervalMs * 2);
  }

  /** Events are never replayed, so after a gap the state they carried is fetched again. */
  #refresh(): void {
    Promise.all([this.call('health'), this.call('system-presence')]).then(
      ([health, presence]) => this.#emit('refresh', { health, presence }),
      (err: unknown) => {
        // A drop mid-refresh is moot: the next hello-ok carries a fresh snapshot.
        if (err instanceof GatewayError && (err.code === 'CONNECTION_CLOSED' || err.code === 'CLOSED')) return;
        this.#emit('error', err);
      },
    );
  }

  /** The current socket is finished, whoever ended it. Local closes do not wait for the peer. */
  #drop(socket: WebSocketLike, code: number, reason: string, outcome: { failure: GatewayError; fatal?: boolean }): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    const wasReady = this.#ready;
    this.#ready = false;
    this.#clearTimer('connect');
    this.#clearTimer('tick');
    // Late callbacks from this socket must not reach us, and `ws` throws on an unhandled 'error'.
    socket.onmessage = noop;
    socket.onclose = noop;
    socket.onerror = noop;
    if (socket.readyState <= OPEN) closeSocket(socket, code, reason);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) {
      this.#clock.clearTimeout(call.timer);
      call.reject(new GatewayError('CONNECTION_CLOSED', `connection closed (${code}${reason ? ` ${reason}` : ''})`, {
        cause: outcome.failure,
      }));
    }
    this.#emit('close', { code, reason });
    this.#afterDrop(wasReady, outcome.failure, outcome.fatal ?? false);
  }

  #afterDrop(wasReady: boolean, failure: GatewayError, fatal: boolean): void {
    if (!wasReady) this.#rejectWaiters(failure);
    if (this.#stopped) return;
    if (!this.#retry) {
      this.#state = 'closed';
      return;
    }
    if (fatal) {
      this.#retry = false;
      this.#state = 'closed';
      this.#emit('reconnect-failed', failure);
      return;
    }
    const reconnect = this.#reconnect!;
    const attempt = ++this.#reconnectAttempt;
    // A gateway that said when to come back (a rate-limited connect) is not asked again sooner.
    const delayMs = Math.max(Math.min(reconnect.initialDelayMs * 2 ** (attempt - 1), reconnect.maxDelayMs), failure.retryAfterMs ?? 0);
    this.#state = 'connecting';
    this.#emit('reconnecting', { attempt, delayMs });
    if (this.#stopped) return;
    this.#timers.reconnect = this.#clock.setTimeout(() => {
      delete this.#timers.reconnect;
      this.#open();
    }, delayMs);
  }

  #rejectWaiters(error: GatewayError): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  #clearTimer(which: 'connect' | 'tick' | 'reconnect'): void {
    const timer = this.#timers[which];
    if (timer === undefined) return;
    this.#clock.clearTimeout(timer);
    delete this.#timers[which];
  }

  #newId(): string {
    this.#nextId += 1;
    return String(this.#nextId);
  }

  #emit(event: string, ...args: unknown[]): void {
    const listeners = this.#listeners.get(event);
    if (!listeners || listeners.size === 0) {
      if (event === 'error') console.warn('openclaw GatewayClient error (add client.on("error", fn) to handle it):', args[0]);
      return;
    }
    for (const listener of [...listeners]) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (err) {
        if (event === 'error') console.error('openclaw GatewayClient: an "error" listener threw:', err);
        else this.#emit('error', err);
      }
    }
  }
}

function closeSocket(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Browsers only let scripts close with 1000 or 3000-4999 (1008 "connect failed" throws there).
    socket.close();
  }
}

function noop(): void {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAccepted(payload: unknown): boolean {
  return isObject(payload) && payload.status === 'accepted';
}

function unknownError(message: string): ErrorShape {
  return { code: 'UNAVAILABLE', message };
}
