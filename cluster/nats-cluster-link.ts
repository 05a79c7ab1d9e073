import { connect, ErrorCode, type NatsConnection, type NatsError, type Subscription } from 'nats';
import type { ClusterEvent, ClusterLink, ClusterNode, ClusterPeer } from '../lib/cluster-link.js';
import { GatewayError, type GatewayErrorCode } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import type { NodeInvokeInput, NodeInvokeSuccess } from '../lib/nodes/node-registry.js';
import type { PresenceEntry } from '../lib/protocol/generated/types.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { NatsEventBus } from './nats-event-bus.js';

export interface NatsClusterLinkOptions {
  /** `nats://host:port`; several separated by commas. */
  url: string;
  /** The tenant's JetStream stream (default `CLAWGATE`); its subjects are `clawgate.<stream>.*`. */
  stream?: string;
  instanceId: string;
  logger?: Logger;
  /** How often this instance repeats its presence (default 2 s); a peer silent for three of these is gone. */
  heartbeatMs?: number;
  /** How long events stay replayable (default one hour). */
  eventsMaxAgeMs?: number;
}

/** Extra time a remote invoke waits past the node's own timeout, for the hop between instances. */
const INVOKE_HOP_MS = 2_000;
const DEFAULT_NODE_INVOKE_TIMEOUT_MS = 30_000;

interface PresenceMessage {
  instanceId: string;
  entries: PresenceEntry[];
  nodes?: ClusterNode[];
  /** The sender is leaving: forget it now rather than when it expires. */
  left?: true;
}

type InvokeReply = { ok: true; result: NodeInvokeSuccess } | { ok: false; error: { code: GatewayErrorCode; message: string; details?: unknown } };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown) => encoder.encode(JSON.stringify(value));
const decode = <T>(data: Uint8Array): T => JSON.parse(decoder.decode(data)) as T;

/**
 * A gateway instance's {@link ClusterLink} over NATS: broadcasts on the tenant's JetStream
 * stream, presence as core-NATS heartbeats, and node invokes as request/reply to the subject of
 * the node, which the instance it is connected to answers (a queue group, so one instance runs it).
 */
export class NatsClusterLink implements ClusterLink {
  readonly instanceId: string;
  readonly events: NatsEventBus<ClusterEvent>;
  readonly connection: NatsConnection;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #peers = new Map<string, ClusterPeer & { timer: ReturnType<typeof setTimeout> }>();
  readonly #emitter: TypedEmitter<{ peer: ClusterPeer }>;
  readonly #presenceSub: Subscription;
  readonly #heartbeat: ReturnType<typeof setInterval>;
  #announced: PresenceEntry[] = [];
  #announcedText = '';
  #nodes: ClusterNode[] = [];
  #nodesText = '[]';
  #closed = false;

  private constructor(nc: NatsConnection, events: NatsEventBus<ClusterEvent>, prefix: string, options: NatsClusterLinkOptions) {
    this.connection = nc;
    this.events = events;
    this.instanceId = options.instanceId;
    this.#prefix = prefix;
    this.#logger = options.logger ?? silentLogger;
    this.#heartbeatMs = options.heartbeatMs ?? 2_000;
    this.#emitter = new TypedEmitter((err) => this.#logger.log('error', 'cluster', `peer listener failed: ${(err as Error).message}`));
    this.#presenceSub = nc.subscribe(`${prefix}.presence`, { callback: (err, msg) => !err && this.#onPresence(msg.data) });
    this.#heartbeat = setInterval(() => this.#sendPresence(), this.#heartbeatMs);
    this.#heartbeat.unref?.();
  }

  /** Connects (retrying for ever once connected), opens the tenant's stream and joins the presence heartbeats. */
  static async connect(options: NatsClusterLinkOptions): Promise<NatsClusterLink> {
    const stream = options.stream ?? 'CLAWGATE';
    const prefix = `clawgate.${stream}`;
    const nc = await connect({
      servers: options.url.split(',').map((s) => s.trim()).filter(Boolean),
      name: `clawgate ${options.instanceId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
    });
    try {
      const events = await NatsEventBus.open<ClusterEvent>(nc, { stream, subject: `${prefix}.events`, maxAgeMs: options.eventsMaxAgeMs, logger: options.logger });
      return new NatsClusterLink(nc, events, prefix, options);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  announcePresence(entries: PresenceEntry[]): void {
    const text = JSON.stringify(entries);
    if (text === this.#announcedText) return;
    this.#announced = entries;
    this.#announcedText = text;
    this.#sendPresence();
  }

  announceNodes(nodes: ClusterNode[]): void {
    const text = JSON.stringify(nodes);
    if (text === this.#nodesText) return;
    this.#nodes = nodes;
    this.#nodesText = text;
    this.#sendPresence();
  }

  onPeer(listener: (peer: ClusterPeer) => void): () => void {
    return this.#emitter.on('peer', listener);
  }

  peers(): ClusterPeer[] {
    return [...this.#peers.values()].map(({ timer: _timer, ...peer }) => peer);
  }

  serveNode(nodeId: string, handler: (input: NodeInvokeInput) => Promise<NodeInvokeSuccess>): () => void {
    const sub = this.connection.subscribe(this.#nodeSubject(nodeId), {
      queue: 'invoke',
      callback: (err, msg) => {
        if (err) return;
        let input: NodeInvokeInput;
        try {
          input = decode<NodeInvokeInput>(msg.data);
        } catch {
          msg.respond(encode({ ok: false, error: { code: 'INVALID_REQUEST', message: 'invalid invoke message' } } satisfies InvokeReply));
          return;
        }
        handler({ ...input, nodeId }).then(
          (result) => msg.respond(encode({ ok: true, result } satisfies InvokeReply)),
          (error: unknown) => msg.respond(encode({ ok: false, error: wireError(error) } satisfies InvokeReply)),
        );
      },
    });
    // Pushed out now, so an invoke right after the node connected finds it.
    this.connection.flush().catch(() => undefined);
    return () => sub.unsubscribe();
  }

  async invokeNode(input: NodeInvokeInput): Promise<NodeInvokeSuccess> {
    const timeout = (input.timeoutMs ?? DEFAULT_NODE_INVOKE_TIMEOUT_MS) + INVOKE_HOP_MS;
    let reply: InvokeReply;
    try {
      const msg = await this.connection.request(this.#nodeSubject(input.nodeId), encode(input), { timeout });
      reply = decode<InvokeReply>(msg.data);
    } catch (err) {
      throw invokeFailure(err as NatsError);
    }
    if (reply.ok) return reply.result;
    throw new GatewayError(reply.error.code, reply.error.message, reply.error.details === undefined ? {} : { details: reply.error.details });
  }

  /** Round trip to the server (ms), for `doctor`. */
  async ping(): Promise<number> {
    return this.connection.rtt();
  }

  /** Tells the peers this instance left, stops the bus and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const peer of this.#peers.values()) clearTimeout(peer.timer);
    this.#peers.clear();
    try {
      this.connection.publish(`${this.#prefix}.presence`, encode({ instanceId: this.instanceId, entries: [], left: true } satisfies PresenceMessage));
      this.#presenceSub.unsubscribe();
      await this.events.close();
      await this.connection.drain();
    } catch {
      await this.connection.close().catch(() => undefined);
    }
  }

  #nodeSubject(nodeId: string): string {
    // Node ids are client input: base64url keeps dots, spaces and wildcards out of the subject.
    return `${this.#prefix}.node.${Buffer.from(nodeId, 'utf8').toString('base64url') || '_'}`;
  }

  #sendPresence(): void {
    if (this.#closed || this.#announced.length === 0 || this.connection.isClosed()) return;
    this.connection.publish(`${this.#prefix}.presence`, encode({ instanceId: this.instanceId, entries: this.#announced, nodes: this.#nodes } satisfies PresenceMessage));
  }

  #onPresence(data: Uint8Array): void {
    let message: PresenceMessage;
    try {
      message = decode<PresenceMessage>(data);
    } catch {
      return;
    }
    if (typeof message?.instanceId !== 'string' || message.instanceId === this.instanceId || !Array.isArray(message.entries)) return;
    const known = this.#peers.get(message.instanceId);
    if (known) clearTimeout(known.timer);
    if (message.left || message.entries.length === 0) {
      if (known) this.#forget(message.instanceId);
      return;
    }
    const now = Date.now();
    const ttl = this.#heartbeatMs * 3;
    const timer = setTimeout(() => this.#forget(message.instanceId), ttl);
    timer.unref?.();
    const nodes = Array.isArray(message.nodes) ? message.nodes : [];
    const peer: ClusterPeer = { instanceId: message.instanceId, entries: message.entries, nodes, seenAt: now, expiresAt: now + ttl };
    this.#peers.set(message.instanceId, { ...peer, timer });
    const changed = !known || JSON.stringify(known.entries) !== JSON.stringify(message.entries) || JSON.stringify(known.nodes) !== JSON.stringify(nodes);
    // A newcomer hears from us now rather than at our next heartbeat.
    if (!known) this.#sendPresence();
    if (changed) this.#emitter.emit('peer', peer);
  }

  #forget(instanceId: string): void {
    const peer = this.#peers.get(instanceId);
    if (!peer) return;
    clearTimeout(peer.timer);
    this.#peers.delete(instanceId);
    this.#emitter.emit('peer', { instanceId, entries: [], nodes: [], seenAt: peer.seenAt, expiresAt: Date.now() });
  }
}

function wireError(error: unknown): { code: GatewayErrorCode; message: string; details?: unknown } {
  if (error instanceof GatewayError) return { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
  return { code: 'UNAVAILABLE', message: 'node invoke failed on the instance holding the node' };
}

/** The request itself failed: nobody serves the node, nobody answered in time, or NATS is unreachable. */
function invokeFailure(err: NatsError): GatewayError {
  if (err.code === ErrorCode.NoResponders) return new GatewayError('UNAVAILABLE', 'node not connected', { details: { code: 'NOT_CONNECTED' } });
  if (err.code === ErrorCode.Timeout) {
    const message = 'node invoke timed out';
    return new GatewayError('UNAVAILABLE', message, { details: { nodeError: { code: 'TIMEOUT', message } } });
  }
  return new GatewayError('UNAVAILABLE', `cluster unavailable: ${err.message}`, { cause: err, retryable: true });
}
