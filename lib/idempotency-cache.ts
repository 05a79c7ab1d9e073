export interface IdempotencyCacheOptions {
  /** How long a settled result is replayed (default 5 minutes). */
  ttlMs?: number;
  /** Oldest settled entries are dropped beyond this many (default 1000). */
  maxEntries?: number;
  now?: () => number;
}

export interface IdempotentRunOptions {
  /** Whether a failure is remembered like a result; failures that changed nothing should not be. */
  cacheError?: (err: unknown) => boolean;
}

interface Entry<T> {
  promise: Promise<T>;
  /** Set once the task settled and its outcome is replayable. */
  settledAt?: number;
}

/**
 * Runs a task once per key: concurrent callers share the in-flight promise, later callers get the
 * settled outcome until it expires. In-flight tasks are never evicted, so a duplicate can never
 * start a second delivery while the first is still running.
 */
export class IdempotencyCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: IdempotencyCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  run(key: string, task: () => Promise<T>, options: IdempotentRunOptions = {}): Promise<T> {
    this.#prune();
    const existing = this.#entries.get(key);
    if (existing) return existing.promise;
    const entry: Entry<T> = { promise: Promise.resolve().then(task) };
    this.#entries.set(key, entry);
    entry.promise.then(
      () => this.#settle(key, entry),
      (err: unknown) => {
        if (options.cacheError?.(err)) this.#settle(key, entry);
        else if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.promise;
  }

  #settle(key: string, entry: Entry<T>): void {
    if (this.#entries.get(key) !== entry) return;
    entry.settledAt = this.#now();
    // Re-inserted so the map stays ordered by settle time, oldest first.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#prune();
  }

  #prune(): void {
    const cutoff = this.#now() - this.#ttlMs;
    let excess = this.#entries.size - this.#maxEntries;
    for (const [key, entry] of this.#entries) {
      if (entry.settledAt === undefined) continue;
      if (entry.settledAt < cutoff || excess > 0) {
        this.#entries.delete(key);
        excess--;
      }
    }
  }
}
