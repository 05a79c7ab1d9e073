import type { EventBus } from './event-bus.js';
import type { ConnectedNode, NodeInvokeInput, NodeInvokeSuccess } from './nodes/node-registry.js';
import type { PresenceEntry } from './protocol/generated/types.js';

/** A broadcast as it travels between gateway instances. */
export interface ClusterEvent {
  /** The wire event name (`agent`, `chat`, `node.pair.requested`, ...). */
  event: string;
  payload: unknown;
  /** The instance that raised it. */
  source: string;
}

/** A node connected to some instance, as the others list it (`node.list`). */
export type ClusterNode = Pick<ConnectedNode, 'nodeId' | 'displayName' | 'platform' | 'version' | 'deviceFamily' | 'modelIdentifier' | 'remoteIp' | 'caps' | 'commands' | 'permissions' | 'connectedAtMs'>;

/** What one instance last said about itself: its presence entries, until `expiresAt`. */
export interface ClusterPeer {
  instanceId: string;
  /** The instance's own entry first, then its clients'. */
  entries: PresenceEntry[];
  /** The nodes connected to it. */
  nodes: ClusterNode[];
  /** When it was last heard from (epoch ms). */
  seenAt: number;
  /** Its entries count until then unless it speaks again (epoch ms). */
  expiresAt: number;
}

/**
 * How one gateway instance talks to the others of its cluster: a shared sequenced bus for
 * broadcasts, presence heartbeats, and node invokes routed to the instance a node is connected
 * to. The kernel only knows this interface; the NATS JetStream implementation lives in
 * `cluster/` and is loaded only when a cluster is configured.
 */
export interface ClusterLink {
  /** Unique per running instance (`cluster.instanceId`, else generated). */
  readonly instanceId: string;
  /** Every instance's broadcasts, in one order; its cursors are what clients resume after. */
  readonly events: EventBus<ClusterEvent>;
  /**
   * Tells the peers this instance's presence entries (its own first); the link repeats the last
   * ones as a heartbeat until `close()`, which tells them it left.
   */
  announcePresence(entries: PresenceEntry[]): void;
  /** Tells the peers which nodes are connected here (repeated with the presence heartbeat). */
  announceNodes(nodes: ClusterNode[]): void;
  /** A peer's entries changed, arrived or expired (`entries` empty then). Returns the unsubscribe. */
  onPeer(listener: (peer: ClusterPeer) => void): () => void;
  /** The other instances heard from and not yet expired. */
  peers(): ClusterPeer[];
  /** Answers invokes other instances route to `nodeId` while it is connected here. Returns the withdrawal. */
  serveNode(nodeId: string, handler: (input: NodeInvokeInput) => Promise<NodeInvokeSuccess>): () => void;
  /**
   * Sends an invoke to the instance serving `input.nodeId`. Rejects with the serving instance's
   * `GatewayError`, or `UNAVAILABLE` (details `NOT_CONNECTED`) when no instance serves it.
   */
  invokeNode(input: NodeInvokeInput): Promise<NodeInvokeSuccess>;
}
