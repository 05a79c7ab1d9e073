import type { Clock } from '../clock.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { NodeInvokeInput, NodeInvokeSuccess } from './node-registry.js';

/** How long a settled `node.invoke` is replayed to a retry with its key: as long as `agent` runs are (docs/protocol.md, Idempotency). */
export const DEFAULT_NODE_INVOKE_REPLAY_MS = 5 * 60_000;
export const DEFAULT_NODE_INVOKE_REPLAY_ENTRIES = 1000;

export interface NodeInvokeCacheOptions {
  clock: Clock;
  /** How long after it settled an invoke is replayed (default five minutes). */
  ttlMs?: number;
  /** Most keys remembered; the oldest are forgotten first (default 1000). */
  maxEntries?: number;
}

interface Entry {
  /** The invoke the key first named; a retry must name the same one. */
  readonly fingerprint: string;
  readonly result: Promise<NodeInvokeSuccess>;
  settledAt?: number;
}

/**
 * `node.invoke` once per idempotency key: a retry while the first is in flight waits for it, a
 * retry after it settled gets its result (or its error) again, and the command never runs twice on
 * the node. A failure from before the request left (node not connected, command not allowed, a
 * guard refused) is not remembered, so a retry may try again; once the request may have reached
 * the node (its error carries `nodeError`) the outcome is final.
 */
export class NodeInvokeCache {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: NodeInvokeCacheOptions) {
    this.#clock = options.clock;
    this.#ttlMs = options.ttlMs ?? DEFAULT_NODE_INVOKE_REPLAY_MS;
    this.#maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_NODE_INVOKE_REPLAY_ENTRIES);
  }

  /** Keys remembered now (in flight or settled within the TTL). */
  get size(): number {
    this.#prune();
    return this.#entries.size;
  }

  /**
   * Runs `invoke` for `input` unless its idempotency key already did for the same `caller` (keys
   * are per caller: one client's key never answers another with the first one's result).
   */
  run(input: NodeInvokeInput, invoke: (input: NodeInvokeInput) => Promise<NodeInvokeSuccess>, caller = ''): Promise<NodeInvokeSuccess> {
    if (input.idempotencyKey === undefined) return invoke(input);
    const key = `${caller}\0${input.idempotencyKey}`;
    this.#prune();
    const fingerprint = JSON.stringify([input.nodeId, input.command, input.params ?? null]);
    const known = this.#entries.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        return Promise.reject(invalidRequest('idempotencyKey already used for a different node.invoke', { idempotencyKey: input.idempotencyKey }));
      }
      return known.result;
    }
    const result = invoke(input);
    const entry: Entry = { fingerprint, result };
    this.#entries.set(key, entry);
    this.#evictOverflow();
    result.then(
      () => {
        entry.settledAt = this.#clock.now();
      },
      (err: unknown) => {
        if (mayHaveReachedNode(err)) entry.settledAt = this.#clock.now();
        else if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return result;
  }

  #prune(): void {
    const cutoff = this.#clock.now() - this.#ttlMs;
    for (const [key, entry] of this.#entries) {
      if (entry.settledAt !== undefined && entry.settledAt < cutoff) this.#entries.delete(key);
    }
  }

  /** Oldest keys first; an in-flight one dropped here still settles for whoever waits on it. */
  #evictOverflow(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) return;
      this.#entries.delete(key);
    }
  }
}

/** NodeRegistry attaches the node-side error to every failure after the request was sent. */
function mayHaveReachedNode(err: unknown): boolean {
  return err instanceof GatewayError && typeof err.details === 'object' && err.details !== null && 'nodeError' in err.details;
}
