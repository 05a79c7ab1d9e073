import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../clock.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { ClientSession } from '../method-context.js';
import { stripUndefined } from '../pairing-state.js';
import type { NodeInvokeError, NodeInvokeRequestPayload, NodeInvokeResultParams } from '../protocol/generated/types.js';
import { TypedEmitter } from '../typed-emitter.js';
import { NodeCommandPolicy } from './node-command-policy.js';

export const DEFAULT_NODE_INVOKE_TIMEOUT_MS = 30_000;

/** A live `role:"node"` connection, as `connect` described it. */
export interface ConnectedNode {
  readonly nodeId: string;
  readonly connId: string;
  readonly clientId: string;
  readonly deviceId?: string;
  readonly displayName?: string;
  readonly platform?: string;
  readonly version?: string;
  readonly deviceFamily?: string;
  readonly modelIdentifier?: string;
  readonly remoteIp?: string;
  /** Sorted, de-duplicated. */
  readonly caps: string[];
  /** What the node claimed it can run. */
  readonly declaredCommands: string[];
  /** The declared commands the server allows (sorted): what `node.invoke` may send it. */
  readonly commands: string[];
  readonly permissions?: Record<string, boolean>;
  readonly pathEnv?: string;
  readonly connectedAtMs: number;
}

/** A `node.event` a node sent, as the Gateway's `node-event` listeners get it. */
export interface NodeEvent {
  nodeId: string;
  connId: string;
  /** e.g. `exec.started`, `exec.finished`, `exec.denied`. */
  event: string;
  /** `payloadJSON` parsed, else `payload`; null when the node sent neither. */
  payload: unknown;
  payloadJSON: string | null;
  ts: number;
}

export interface NodeInvokeInput {
  nodeId: string;
  command: string;
  params?: unknown;
  timeoutMs?: number;
  idempotencyKey?: string;
  /**
   * Sent by the gateway's own feature for an admin method (the approvals relay), not on a
   * caller's behalf through `node.invoke`; guards may hold such commands to that path.
   */
  internal?: true;
}

export interface NodeInvokeSuccess {
  payload: unknown;
  payloadJSON: string | null;
}

/**
 * Looks at an invoke before it is sent (the exec approvals gate on `system.run`): resolves with
 * the input to send, possibly changed, or rejects to refuse it. It may wait (for an operator).
 */
export type NodeInvokeGuard = (input: NodeInvokeInput) => Promise<NodeInvokeInput>;

export interface NodeRegistryOptions {
  clock: Clock;
  policy?: NodeCommandPolicy;
  /** Delivers a node-directed event (no seq) to one connection; false when it could not be sent. */
  send: (connId: string, event: 'node.invoke.request', payload: NodeInvokeRequestPayload) => boolean;
  defaultTimeoutMs?: number;
  /** A throwing `onEvent` listener is reported here instead of breaking `node.event`. */
  onListenerError?: (err: unknown) => void;
  /** Where an invoke for a node not connected here goes (another cluster instance); it answers for that node. */
  remote?: (input: NodeInvokeInput) => Promise<NodeInvokeSuccess>;
}

interface PendingInvoke {
  readonly nodeId: string;
  readonly connId: string;
  readonly command: string;
  readonly timer: TimerHandle;
  resolve(result: NodeInvokeSuccess): void;
  reject(error: GatewayError): void;
}

/** A node is known by its device id, else by its client id (docs/protocol.md, Nodes). */
export function nodeIdOf(session: Pick<ClientSession, 'deviceId' | 'client'>): string {
  return session.deviceId ?? session.client.id;
}

/**
 * Connected nodes and the invokes in flight to them. Every pending invoke ends exactly once: by
 * the node's result, by its timeout, or when its node disconnects, and leaves nothing behind.
 */
export class NodeRegistry {
  readonly policy: NodeCommandPolicy;
  readonly #clock: Clock;
  readonly #send: NodeRegistryOptions['send'];
  readonly #defaultTimeoutMs: number;
  readonly #byConn = new Map<string, ConnectedNode>();
  /** The connection invokes go to; the newest one when a node is connected twice. */
  readonly #byNode = new Map<string, ConnectedNode>();
  readonly #pending = new Map<string, PendingInvoke>();
  readonly #events: TypedEmitter<{ event: NodeEvent }>;
  readonly #guards = new Set<NodeInvokeGuard>();
  readonly #remote: NodeRegistryOptions['remote'];

  constructor(options: NodeRegistryOptions) {
    this.#remote = options.remote;
    this.#clock = options.clock;
    this.#send = options.send;
    this.#events = new TypedEmitter((err) => options.onListenerError?.(err));
    this.policy = options.policy ?? new NodeCommandPolicy();
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_NODE_INVOKE_TIMEOUT_MS;
  }

  /** Listens to what connected nodes report with `node.event` (exec lifecycle and others). */
  onEvent(listener: (event: NodeEvent) => void): () => void {
    return this.#events.on('event', listener);
  }

  emitEvent(event: NodeEvent): void {
    this.#events.emit('event', event);
  }

  /** Adds a guard every invoke passes, in the order added; returns its removal. */
  addGuard(guard: NodeInvokeGuard): () => void {
    this.#guards.add(guard);
    return () => this.#guards.delete(guard);
  }

  /** Invokes waiting for a node's answer. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  register(session: ClientSession): ConnectedNode {
    const { client, connect } = session;
    const declared = [...new Set(connect.commands ?? [])];
    const node: ConnectedNode = stripUndefined({
      nodeId: nodeIdOf(session),
      connId: session.connId,
      clientId: client.id,
      deviceId: session.deviceId,
      displayName: client.displayName,
      platform: client.platform,
      version: client.version,
      deviceFamily: client.deviceFamily,
      modelIdentifier: client.modelIdentifier,
      remoteIp: session.peer.remoteAddress,
      caps: [...new Set(connect.caps ?? [])].sort(),
      declaredCommands: declared,
      commands: this.policy.filter(declared),
      permissions: connect.permissions,
      pathEnv: connect.pathEnv,
      connectedAtMs: session.connectedAtMs,
    });
    this.#byConn.set(node.connId, node);
    this.#byNode.set(node.nodeId, node);
    return node;
  }

  /** Forgets a node connection and fails the invokes still waiting on it. */
  unregister(connId: string): ConnectedNode | undefined {
    const node = this.#byConn.get(connId);
    if (!node) return undefined;
    this.#byConn.delete(connId);
    if (this.#byNode.get(node.nodeId) === node) {
      this.#byNode.delete(node.nodeId);
      const other = this.#newestConnection(node.nodeId);
      if (other) this.#byNode.set(node.nodeId, other);
    }
    for (const [id, pending] of this.#pending) {
      if (pending.connId !== connId) continue;
      const message = `node disconnected (${pending.command})`;
      this.#settle(id, (p) => p.reject(nodeFailure(message, { code: 'DISCONNECTED', message })));
    }
    return node;
  }

  get(nodeId: string): ConnectedNode | undefined {
    return this.#byNode.get(nodeId);
  }

  /** One entry per connected node id. */
  list(): ConnectedNode[] {
    return [...this.#byNode.values()];
  }

  /**
   * Sends `node.invoke.request` to the node and settles with its `node.invoke.result`. Rejects
   * when the node is not connected, the command not allowed or a guard refuses it, and when the
   * invoke times out, fails or its node disconnects. A node connected to another cluster instance
   * is invoked there, under that instance's policy and guards.
   */
  invoke(input: NodeInvokeInput): Promise<NodeInvokeSuccess> {
    if (this.#remote && !this.#byNode.has(input.nodeId)) return this.#remote(input);
    return this.invokeLocal(input);
  }

  /** `invoke` for a node connected to this instance only (what another instance's routed invoke runs). */
  invokeLocal(input: NodeInvokeInput): Promise<NodeInvokeSuccess> {
    const refused = this.#refusal(input);
    if (refused) return Promise.reject(refused);
    if (this.#guards.size === 0) return this.#dispatch(input);
    return (async () => {
      let current = input;
      for (const guard of this.#guards) current = await guard(current);
      // A guard may have waited long enough for the node to leave.
      const gone = this.#refusal(current);
      if (gone) throw gone;
      return this.#dispatch(current);
    })();
  }

  #refusal(input: NodeInvokeInput): GatewayError | undefined {
    const node = this.#byNode.get(input.nodeId);
    if (!node) return new GatewayError('UNAVAILABLE', 'node not connected', { details: { code: 'NOT_CONNECTED' } });
    const refusal = this.policy.refusal(node.declaredCommands, input.command);
    return refusal ? invalidRequest('node command not allowed', { reason: refusal, command: input.command }) : undefined;
  }

  #dispatch(input: NodeInvokeInput): Promise<NodeInvokeSuccess> {
    const node = this.#byNode.get(input.nodeId)!;
    const id = randomUUID();
    const timeoutMs = input.timeoutMs ?? this.#defaultTimeoutMs;
    const request: NodeInvokeRequestPayload = {
      id,
      nodeId: node.nodeId,
      command: input.command,
      paramsJSON: input.params === undefined ? null : JSON.stringify(input.params),
      timeoutMs,
      ...(input.idempotencyKey === undefined ? {} : { idempotencyKey: input.idempotencyKey }),
    };
    return new Promise<NodeInvokeSuccess>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        const message = 'node invoke timed out';
        this.#settle(id, (p) => p.reject(nodeFailure(message, { code: 'TIMEOUT', message })));
      }, timeoutMs);
      this.#pending.set(id, { nodeId: node.nodeId, connId: node.connId, command: input.command, timer, resolve, reject });
      if (!this.#send(node.connId, 'node.invoke.request', request)) {
        const message = 'failed to send invoke to node';
        this.#settle(id, (p) => p.reject(nodeFailure(message, { code: 'UNAVAILABLE', message })));
      }
    });
  }

  /**
   * A `node.invoke.result` from the node `callerNodeId`. Results nobody waits for any more (late,
   * unknown, or for another node's invoke) are acknowledged and ignored.
   */
  handleResult(callerNodeId: string, result: NodeInvokeResultParams): { ok: true; ignored?: true } {
    if (result.nodeId !== callerNodeId) throw invalidRequest('nodeId mismatch');
    const pending = this.#pending.get(result.id);
    if (!pending || pending.nodeId !== callerNodeId) return { ok: true, ignored: true };
    if (!result.ok) {
      const nodeError: NodeInvokeError = result.error ?? {};
      this.#settle(result.id, (p) => p.reject(nodeFailure(nodeError.message || 'node invoke failed', nodeError)));
      return { ok: true };
    }
    let parsed: NodeInvokeSuccess;
    try {
      parsed = typeof result.payloadJSON === 'string'
        ? { payload: JSON.parse(result.payloadJSON) as unknown, payloadJSON: result.payloadJSON }
        : { payload: result.payload ?? null, payloadJSON: null };
    } catch {
      const message = 'node returned invalid payloadJSON';
      this.#settle(result.id, (p) => p.reject(nodeFailure(message, { code: 'INVALID_PAYLOAD', message })));
      return { ok: true };
    }
    this.#settle(result.id, (p) => p.resolve(parsed));
    return { ok: true };
  }

  #settle(id: string, finish: (pending: PendingInvoke) => void): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#clock.clearTimeout(pending.timer);
    finish(pending);
  }

  #newestConnection(nodeId: string): ConnectedNode | undefined {
    let newest: ConnectedNode | undefined;
    for (const node of this.#byConn.values()) {
      if (node.nodeId === nodeId && (!newest || node.connectedAtMs >= newest.connectedAtMs)) newest = node;
    }
    return newest;
  }
}

/** Every failure after the request left surfaces as UNAVAILABLE with the node-side error attached. */
function nodeFailure(message: string, nodeError: NodeInvokeError): GatewayError {
  return new GatewayError('UNAVAILABLE', message, { details: { nodeError } });
}
