/**
 * Exclusive ownership of a named resource (a channel account) among the gateway processes that
 * share it. The local default is an OS file lock under the state dir; the contract is narrow
 * enough for a cluster store to back it too (e.g. a PostgreSQL advisory lock held by one session,
 * the fencing token from a sequence, TTL as the session's keepalive deadline).
 */
export interface LeaseProvider {
  /**
   * Takes the lease on `key` when nobody holds it; undefined when another holder does. Rejects
   * only when the store itself failed (unreadable lock dir, lost database).
   */
  tryAcquire(key: string, options: LeaseAcquireOptions): Promise<Lease | undefined>;
  /** Where the lease on `key` lives, for messages (`<state>/locks/telegram-default.lock`). */
  describe(key: string): string;
  /**
   * Every lease the shared store knows, whoever holds it (`gateway status`); providers that only
   * see their own process leave it out.
   */
  list?(): Promise<LeaseRecord[]>;
  /**
   * Whether `fencingToken` is still the current, unexpired token of `key` in the store. A shared
   * store checks this inside the same transaction as a channel write; this is the standalone form.
   */
  isCurrent?(key: string, fencingToken: number): Promise<boolean>;
  /**
   * Shared stores: a holder (of this or another process) gave `key` up, so a contender can try
   * at once instead of at its next retry. Returns the unsubscribe.
   */
  onReleased?(listener: (key: string) => void): () => void;
}

/** One lease as the shared store records it. */
export interface LeaseRecord {
  key: string;
  /** The instance holding it; null once released. */
  holder: string | null;
  fencingToken: number;
  /** When it lapses unless renewed (epoch ms, by the store's clock). */
  expiresAt: number;
}

export interface LeaseAcquireOptions {
  /** How long the lease lasts unless renewed; the holder renews well before that. */
  ttlMs: number;
}

/** A lease this process holds. */
export interface Lease {
  readonly key: string;
  /**
   * Grows with every acquisition of this key, across processes and restarts. Writers of shared
   * state pass it along so a store can refuse a holder that was superseded (fencing).
   */
  readonly fencingToken: number;
  /** When the lease lapses unless renewed (epoch ms). */
  readonly expiresAt: number;
  /** Extends the lease by its TTL; rejects (and reports `lost`) when it is no longer ours. */
  renew(): Promise<void>;
  /** Called once when the lease was lost without `release()`; returns the unsubscribe. */
  onLost(listener: (reason: string) => void): () => void;
  /** Gives the lease up; idempotent. */
  release(): Promise<void>;
}
