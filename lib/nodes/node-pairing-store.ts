import { randomUUID } from 'node:crypto';
import { safeEqual } from '../safe-equal.js';
import { newPairingToken, PairingState, PENDING_TTL_MS, stripUndefined, takePending } from '../pairing-state.js';
import type { NodePairingRequest, NodePairRequestParams, PairedNode } from '../protocol/generated/types.js';
import type { Storage } from '../storage.js';

export interface NodePairingStoreOptions {
  storage: Storage;
  now: () => number;
  /** Requests that expired unanswered, reported once each after they were dropped from `nodes/pending.json`. */
  onExpired?: (requests: NodePairingRequest[]) => void;
}

/**
 * The `node.pair.*` store: `nodes/pending.json` (requestId -> request) and
 * `nodes/paired.json` (nodeId -> node with its token). Separate from device pairing, which is
 * what gates WebSocket connects; this one records nodes an operator approved by hand.
 */
export class NodePairingStore {
  readonly #now: () => number;
  readonly #state: PairingState<NodePairingRequest, PairedNode>;

  constructor(options: NodePairingStoreOptions) {
    this.#now = options.now;
    this.#state = new PairingState({
      storage: options.storage,
      now: options.now,
      pendingKey: 'nodes/pending.json',
      pairedKey: 'nodes/paired.json',
      label: 'node pairing',
      onExpired: options.onExpired,
    });
  }

  load(): Promise<void> {
    return this.#state.load();
  }

  /** Unexpired requests, newest first. */
  listPending(): NodePairingRequest[] {
    return this.#state.livePending();
  }

  /** Paired nodes, most recently approved first, tokens included. */
  listPaired(): PairedNode[] {
    return Object.values(this.#state.paired).sort((a, b) => b.approvedAtMs - a.approvedAtMs);
  }

  /** When the oldest pending request expires (the first millisecond it is no longer live). */
  nextExpiryAt(): number | undefined {
    const oldest = this.listPending().at(-1);
    return oldest === undefined ? undefined : oldest.ts + PENDING_TTL_MS + 1;
  }

  /** Drops expired requests now (reporting them to `onExpired`) instead of at the next change. */
  pruneExpired(): Promise<void> {
    return this.#state.mutate(() => undefined);
  }

  getPaired(nodeId: string): PairedNode | undefined {
    return this.#state.paired[nodeId];
  }

  /** Idempotent per node: while a request for it is pending, that request is returned unchanged. */
  request(input: NodePairRequestParams): Promise<{ request: NodePairingRequest; created: boolean }> {
    return this.#state.mutate(({ pending, paired }) => {
      const existing = Object.values(pending).find((r) => r.nodeId === input.nodeId);
      if (existing) return { request: existing, created: false };
      const request: NodePairingRequest = stripUndefined({
        ...input,
        requestId: randomUUID(),
        isRepair: Boolean(paired[input.nodeId]),
        ts: this.#now(),
      });
      pending[request.requestId] = request;
      return { request, created: true };
    });
  }

  /** Pairs the node with a fresh token, replacing any earlier pairing of the same node id. */
  approve(requestId: string): Promise<PairedNode> {
    return this.#state.mutate(({ pending, paired }) => {
      const { requestId: _id, isRepair: _repair, silent: _silent, ts: _ts, ...fields } = takePending(pending, requestId);
      const now = this.#now();
      const node: PairedNode = {
        ...fields,
        token: newPairingToken(),
        createdAtMs: paired[fields.nodeId]?.createdAtMs ?? now,
        approvedAtMs: now,
      };
      paired[node.nodeId] = node;
      return node;
    });
  }

  reject(requestId: string): Promise<{ requestId: string; nodeId: string }> {
    return this.#state.mutate(({ pending }) => ({ requestId, nodeId: takePending(pending, requestId).nodeId }));
  }

  /** Constant-time token check. */
  verify(nodeId: string, token: string): { ok: true; node: PairedNode } | { ok: false } {
    const node = this.#state.paired[nodeId];
    return node && safeEqual(node.token, token) ? { ok: true, node } : { ok: false };
  }

  /** Undefined when the node is not paired here. */
  async rename(nodeId: string, displayName: string): Promise<PairedNode | undefined> {
    if (!this.#state.paired[nodeId]) return undefined;
    return this.#state.mutate(({ paired }) => {
      const node = paired[nodeId];
      if (node) node.displayName = displayName;
      return node;
    });
  }
}
