import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { AccessScope } from './method-access.js';
import type { ClientSession, MethodContext } from './method-context.js';
import type { CompletedRequest } from './request-activity.js';
import type { GatewayEventMap, GatewayMethodMap, HealthSummary, StatusSummary } from './protocol/generated/types.js';

export type MethodName = keyof GatewayMethodMap;
export type MethodParams<M extends MethodName> = GatewayMethodMap[M]['params'];
export type MethodResult<M extends MethodName> = GatewayMethodMap[M]['result'];
/** What a two-phase method (`agent`) answers first, before its final result; `never` for the others. */
export type MethodAccepted<M extends MethodName> = GatewayMethodMap[M] extends { accepted: infer A } ? A : never;

export type MethodHandler<M extends MethodName> = (
  params: MethodParams<M>,
  ctx: MethodContext<MethodAccepted<M>>,
) => MethodResult<M> | Promise<MethodResult<M>>;

/** A method the protocol schema does not declare: an embedder's own, with its own params schema. */
export interface CustomMethodOptions {
  /** JSON Schema of the params object; requests that do not match it are refused before the handler runs. */
  params: object;
  /**
   * Who may call it (docs/protocol.md, Roles and scopes). Default `admin`: a method nobody
   * classified is not opened up by accident.
   */
  scope?: AccessScope;
}

export type CustomMethodHandler<P = unknown, R = unknown> = (params: P, ctx: MethodContext<unknown>) => R | Promise<R>;

/** Params may be left out when the method takes none that are required. */
export type CallArgs<M extends MethodName> = {} extends MethodParams<M>
  ? [params?: MethodParams<M>, respond?: (payload: MethodAccepted<M>) => void]
  : [params: MethodParams<M>, respond?: (payload: MethodAccepted<M>) => void];

/** Typed events of a Gateway: every wire event it broadcasts, plus local lifecycle events. */
export interface GatewayEvents extends GatewayEventMap {
  'client-connected': ClientSession;
  'client-disconnected': { session: ClientSession; code: number; reason: string };
  error: Error;
  /** A client's request was answered (`outcome`: `ok` or the error code). Observation only: metrics. */
  'request-completed': CompletedRequest;
  /**
   * A broadcast went out (emitted only while someone listens): peers sent it, slow ones that
   * skipped it, and the fan-out time by `performance.now()`, as the clock cannot see sub-millisecond work.
   */
  'broadcast-sent': { event: WireEvent; recipients: number; dropped: number; durationMs: number };
  /** A slow consumer was closed: its unsent bytes passed `policy.maxBufferedBytes`. */
  'slow-consumer-closed': { connId: string; bufferedBytes: number };
  /** A connect or an HTTP request brought no valid gateway secret (`reason` as the refusal names it), or was rate limited. */
  'auth-failed': { transport: 'ws' | 'http'; reason: string };
}

export type WireEvent = keyof GatewayEventMap;

export type HealthStage = (base: HealthSummary) => HealthSummary;
export type StatusStage = (base: StatusSummary) => StatusSummary;

/**
 * A typed name under which one plugin offers an object to the others (the node registry, the
 * channel manager): `host.provide(key, value)` in one, `host.service(key)` in the next.
 */
export class ServiceKey<T> {
  declare readonly __type: T;
  constructor(readonly name: string) {}
}

/**
 * What a plugin sees of the gateway: never the Gateway class, only this. Every registration
 * returns its own undo function.
 */
export interface GatewayHost {
  /** The gateway's clock: use it for timers and timestamps, so tests can drive time. */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Reported as `server.version`. */
  readonly version: string;
  /** The agent a request means when it names none (`GatewayOptions.defaultAgentId`, default `main`). */
  readonly defaultAgentId: string;
  /** Installs the handler of a method the protocol schema declares; throws if it already has one. */
  registerMethod<M extends MethodName>(method: M, handler: MethodHandler<M>): () => void;
  /** Installs a method of the host's own, validated against `options.params` and advertised in `hello-ok`. */
  registerCustomMethod<P = unknown, R = unknown>(method: string, options: CustomMethodOptions, handler: CustomMethodHandler<P, R>): () => void;
  /** Whether some plugin serves `method` (optional collaborations, e.g. agents delivering through `send`). */
  hasMethod(method: string): boolean;
  /** In-process call with full (admin) rights; params are validated like wire params. */
  call<M extends MethodName>(method: M, ...args: CallArgs<M>): Promise<MethodResult<M>>;
  /** Sends an event with the next `seq` to every authenticated connection allowed to see it. */
  broadcast<E extends WireEvent>(event: E, payload: GatewayEventMap[E], options?: { stateVersion?: boolean }): void;
  /** Sends an event to one connection, without `seq` (node-directed events). False when it is gone. */
  sendEvent(connId: string, event: string, payload: unknown): boolean;
  /** Listens to a gateway event (wire or local, see {@link GatewayEvents}); returns the unsubscribe function. */
  on<K extends keyof GatewayEvents>(event: K, listener: (payload: GatewayEvents[K]) => void): () => void;
  /** Adds a stage to how the health summary is computed; each gets the summary as built so far. */
  addHealthStage(stage: HealthStage): () => void;
  /** Adds a stage to the `status` result, after it was derived from health. */
  addStatusStage(stage: StatusStage): () => void;
  /** The last computed health summary (computed now if there is none yet). */
  currentHealth(): HealthSummary;
  /** Recomputes the health summary; with `broadcast`, announces it as a `health` event. */
  refreshHealth(broadcast: boolean): HealthSummary;
  /** Runs the status stages over `base`: the `status` result. */
  buildStatus(base: StatusSummary): StatusSummary;
  /** Offers `value` to the plugins set up after this one. Throws if the key is taken. */
  provide<T>(key: ServiceKey<T>, value: T): () => void;
  /** The object another plugin provided under `key`; throws naming the key when nobody did. */
  service<T>(key: ServiceKey<T>): T;
  /** Like `service`, but undefined when nobody provided it. */
  optionalService<T>(key: ServiceKey<T>): T | undefined;
}

/**
 * A feature of the gateway. `setup` registers methods, listeners and services (before any
 * connection is accepted); `start` runs in installation order once every plugin is set up, and
 * `stop` in reverse order after the gateway closed its connections.
 */
export interface GatewayPlugin {
  /** Names the plugin in logs and errors. */
  readonly name: string;
  /** Registers methods, listeners and services; runs at `Gateway.start()`, in installation order. */
  setup?(host: GatewayHost): void | Promise<void>;
  /** Runs once every plugin is set up and the gateway state is loaded, before connections are accepted. */
  start?(): void | Promise<void>;
  /** Runs in reverse order when the gateway closes (or a start fails after `setup`); release resources here. */
  stop?(): void | Promise<void>;
}
