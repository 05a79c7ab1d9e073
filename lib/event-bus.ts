import { randomUUID } from 'node:crypto';

/** One entry of an {@link EventBus}: its value and the cursor (sequence number) the bus gave it. */
export interface EventBusEntry<T> {
  /** Grows by at least one per entry, in delivery order; what a subscriber resumes after. */
  readonly cursor: number;
  readonly value: T;
}

export interface EventBusSubscribeOptions {
  /**
   * Deliver the retained entries after this cursor first, then the live ones. Default: the bus's
   * head when it was opened, so nothing published after that is missed by a late subscriber.
   */
  after?: number;
}

/** What `read` found between two cursors. */
export interface EventBusRead<T> {
  entries: EventBusEntry<T>[];
  /** False when entries after `after` are no longer retained (or more than the limit): the reader missed some. */
  complete: boolean;
}

/**
 * A sequenced publish/subscribe log: every subscriber sees the entries in one order, and can be
 * replayed what it missed after a cursor, as long as the bus still retains it. The kernel's
 * broadcasts go through one; the in-process default is {@link MemoryEventBus}, a cluster passes
 * one shared by every instance (NATS JetStream, `clawgate/cluster/nats`).
 */
export interface EventBus<T> {
  /** Names this bus's cursor space: a cursor is only meaningful to the bus with the same id. */
  readonly id: string;
  /** Appends `value`; resolves with its cursor once the bus holds it. Entries of one publisher keep their order. */
  publish(value: T): Promise<number>;
  /** Calls `listener` for each entry, in cursor order. Returns the unsubscribe function. */
  subscribe(listener: (entry: EventBusEntry<T>) => void, options?: EventBusSubscribeOptions): () => void;
  /** The retained entries with `after < cursor <= through`, at most `limit` of them (default 1000). */
  read(after: number, through: number, limit?: number): Promise<EventBusRead<T>>;
  /** Stops delivering to every subscriber; publishing afterwards rejects. */
  close(): Promise<void>;
}

export interface MemoryEventBusOptions {
  /** Default: random, so a restarted process never takes an old cursor for one of its own. */
  id?: string;
  /** How many recent entries `read` can replay (default 512). */
  retain?: number;
}

/**
 * The single-process bus: `publish` delivers to every subscriber synchronously, before it
 * returns, so a broadcast reaches local clients exactly when it did without a bus. The last
 * `retain` entries stay readable, so a client reconnecting to the same process can resume.
 */
export class MemoryEventBus<T> implements EventBus<T> {
  readonly id: string;
  readonly #retain: number;
  readonly #recent: EventBusEntry<T>[] = [];
  readonly #listeners = new Set<(entry: EventBusEntry<T>) => void>();
  #cursor = 0;
  #closed = false;

  constructor(options: MemoryEventBusOptions = {}) {
    this.id = options.id ?? `memory-${randomUUID()}`;
    this.#retain = Math.max(0, options.retain ?? 512);
  }

  /** The cursor of the newest entry (0 before the first). */
  get head(): number {
    return this.#cursor;
  }

  publish(value: T): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('event bus closed'));
    const entry: EventBusEntry<T> = { cursor: ++this.#cursor, value };
    if (this.#retain > 0) {
      this.#recent.push(entry);
      if (this.#recent.length > this.#retain) this.#recent.shift();
    }
    for (const listener of this.#listeners) listener(entry);
    return Promise.resolve(entry.cursor);
  }

  subscribe(listener: (entry: EventBusEntry<T>) => void, options: EventBusSubscribeOptions = {}): () => void {
    if (options.after !== undefined) for (const entry of this.#after(options.after, this.#cursor, Infinity)) listener(entry);
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  read(after: number, through: number, limit = 1000): Promise<EventBusRead<T>> {
    const wanted = Math.max(0, Math.min(through, this.#cursor) - after);
    const entries = this.#after(after, through, limit);
    return Promise.resolve({ entries, complete: entries.length === wanted });
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    return Promise.resolve();
  }

  #after(after: number, through: number, limit: number): EventBusEntry<T>[] {
    const first = this.#recent[0]?.cursor ?? this.#cursor + 1;
    // Entries before the oldest retained one are gone: the caller sees it from `complete`.
    if (after + 1 < first) return [];
    const start = after + 1 - first;
    const end = Math.min(this.#recent.length, through - first + 1, start + limit);
    return start >= end ? [] : this.#recent.slice(start, end);
  }
}
