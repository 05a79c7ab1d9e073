import type { OutboundMessage } from '../channel.js';
import type { Logger } from '../logger.js';
import type { SendResult } from '../protocol/generated/types.js';
import { RecordLog, type RecordChange } from '../record-log.js';
import type { Storage } from '../storage.js';

/** One outbound send as the outbox records it, from before its first try until it is compacted away. */
export interface OutboxEntry {
  /** Idempotency key: `send:<the request's key>`, or one derived for the gateway's own sends. */
  key: string;
  /** Reported as the result's `runId` (the `send` request's idempotency key, the agent run's id). */
  runId: string;
  channel: string;
  /** Unset: the channel's default account. */
  accountId?: string;
  message: OutboundMessage;
  /**
   * Kept pending while its account cannot deliver (the gateway's own replies); a `send` request's
   * failure goes back to its caller instead, leaving the key free for a retry.
   */
  queued: boolean;
  state: 'pending' | 'delivered' | 'failed';
  /** Tries started, counting one a crash interrupted. */
  attempts: number;
  createdAt: number;
  updatedAt: number;
  result?: SendResult;
  error?: OutboxError;
}

export interface OutboxError {
  message: string;
  /** The send may have reached the network: it is never tried again under its key. */
  deliveryUnknown: boolean;
  details?: unknown;
}

export type NewOutboxEntry = Pick<OutboxEntry, 'key' | 'runId' | 'channel' | 'accountId' | 'message' | 'queued'>;

/**
 * Who may start a try: the holder of the account's lease, by its fencing token. A shared store
 * refuses a claim whose token is no longer the lease's current one (a paused or cut-off former
 * owner), in the same transaction as the claim, with an `UNAVAILABLE` error.
 */
export interface OutboxFence {
  leaseKey: string;
  fencingToken: number;
}

/**
 * Where sends are recorded before they go out, so that each one is delivered once or reported
 * failed across restarts. The stock one is a log under the state dir ({@link RecordOutboxStore});
 * a cluster can keep it in a shared database instead. Every method resolves once durable.
 */
export interface OutboxStore {
  get(key: string): Promise<OutboxEntry | undefined>;
  /**
   * Records a pending send whose first try starts now (`attempts` 1), replacing an entry under the
   * key. A shared store does it atomically: when another instance recorded the key first, its entry
   * comes back instead (settled: as it is; pending: with this try counted, as `markAttempt`).
   */
  enqueue(entry: NewOutboxEntry, fence?: OutboxFence): Promise<OutboxEntry>;
  /** Counts another try of a pending send before it starts, so a crash during it still counts. */
  markAttempt(key: string, fence?: OutboxFence): Promise<OutboxEntry | undefined>;
  markDelivered(key: string, result: SendResult): Promise<void>;
  markFailed(key: string, error: OutboxError): Promise<void>;
  /** Pending sends, oldest first. */
  pending(): Promise<OutboxEntry[]>;
  /**
   * Shared stores only: records a send for the instance that owns its account to deliver
   * (`attempts` 0), unless the key is taken, when the entry under it comes back unchanged.
   */
  submit?(entry: NewOutboxEntry): Promise<OutboxEntry>;
  /** Shared stores only: keys another instance recorded or settled, so the owner flushes and waiters look. */
  onExternalChange?(listener: (key: string) => void): () => void;
}

export interface RecordOutboxStoreOptions {
  storage: Storage;
  /** Default `delivery/outbox.jsonl`. */
  key?: string;
  now?: () => number;
  /** How long a delivered or failed send is remembered for duplicates (default 24 hours). */
  retentionMs?: number;
  /** Settled sends kept at most; the oldest go first (default 1000). */
  maxSettled?: number;
  logger?: Logger;
}

/**
 * The outbox as a log in the gateway's storage (`delivery/outbox.jsonl`). Settled entries are
 * dropped once older than the retention or beyond `maxSettled`, and the log is compacted as it goes.
 */
export class RecordOutboxStore implements OutboxStore {
  readonly #log: RecordLog<OutboxEntry>;
  readonly #now: () => number;
  readonly #retentionMs: number;
  readonly #maxSettled: number;

  constructor(options: RecordOutboxStoreOptions) {
    this.#log = new RecordLog({ storage: options.storage, key: options.key ?? 'delivery/outbox.jsonl', logger: options.logger });
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retentionMs ?? 24 * 60 * 60_000;
    this.#maxSettled = options.maxSettled ?? 1000;
  }

  async get(key: string): Promise<OutboxEntry | undefined> {
    return (await this.#log.load()).get(key);
  }

  async enqueue(input: NewOutboxEntry): Promise<OutboxEntry> {
    const now = this.#now();
    const entry: OutboxEntry = { ...input, state: 'pending', attempts: 1, createdAt: now, updatedAt: now };
    await this.#log.write([[entry.key, entry]]);
    return entry;
  }

  async markAttempt(key: string): Promise<OutboxEntry | undefined> {
    const [change] = await this.#log.update((records) => {
      const entry = records.get(key);
      return entry?.state === 'pending' ? [[key, { ...entry, attempts: entry.attempts + 1, updatedAt: this.#now() }]] : [];
    });
    return change?.[1] ?? (await this.get(key));
  }

  markDelivered(key: string, result: SendResult): Promise<void> {
    return this.#settle(key, { state: 'delivered', result });
  }

  markFailed(key: string, error: OutboxError): Promise<void> {
    return this.#settle(key, { state: 'failed', error });
  }

  async pending(): Promise<OutboxEntry[]> {
    const records = await this.#log.load();
    return [...records.values()].filter((e) => e.state === 'pending').sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Settles one entry and, in the same append, drops the settled ones past retention or the limit. */
  async #settle(key: string, patch: Pick<OutboxEntry, 'state' | 'result' | 'error'>): Promise<void> {
    await this.#log.update((records) => {
      const entry = records.get(key);
      if (!entry) return [];
      const now = this.#now();
      const settled = [...records.values()].filter((e) => e.state !== 'pending' && e.key !== key).sort((a, b) => a.updatedAt - b.updatedAt);
      // The entry settled now counts against the limit too.
      const excess = settled.length + 1 - this.#maxSettled;
      const expired = settled.filter((e, i) => i < excess || e.updatedAt <= now - this.#retentionMs);
      return [[key, { ...entry, ...patch, updatedAt: now }], ...expired.map((e): RecordChange<OutboxEntry> => [e.key, undefined])];
    });
  }
}
