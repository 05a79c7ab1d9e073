/**
 * Small key/value file storage for gateway state (`devices/paired.json`, ...). Keys are relative
 * paths under the state dir. Writes must be atomic: a reader never sees half a file.
 */
export interface Storage {
  read(key: string): Promise<string | undefined>;
  write(key: string, data: string): Promise<void>;
  /** Absolute location of a key, for status output; undefined for non-file storage. */
  locate?(key: string): string | undefined;
  /** Deletes the key; a missing key is not an error. Storage without it cannot delete. */
  remove?(key: string): Promise<void>;
  /**
   * Writes `next` (undefined: deletes) only if the key still holds `expected` (undefined: absent),
   * atomically against every writer sharing this storage; false when it did not. Read-modify-write
   * callers on shared storage loop on it so two processes cannot lose each other's update.
   */
  compareAndSet?(key: string, expected: string | undefined, next: string | undefined): Promise<boolean>;
  /**
   * Shared storage only (a cluster store): tells about keys another process changed, so caches
   * of them are dropped. Delivery is prompt but asynchronous: a reader may see the old value for
   * a moment (see docs/cluster.md, consistency). Returns the unsubscribe.
   */
  onExternalChange?(listener: (key: string) => void): () => void;
}

/** Storage that can also grow a file line by line (session transcripts). */
export interface AppendStorage extends Storage {
  /** Appends to the file (creating it); resolves once the data is durable (fsync). */
  append(key: string, data: string): Promise<void>;
}

/** Volatile storage for tests and embedders that keep no state. */
export class MemoryStorage implements AppendStorage {
  readonly #files = new Map<string, string>();

  async append(key: string, data: string): Promise<void> {
    this.#files.set(key, (this.#files.get(key) ?? '') + data);
  }

  async read(key: string): Promise<string | undefined> {
    return this.#files.get(key);
  }

  async write(key: string, data: string): Promise<void> {
    this.#files.set(key, data);
  }

  async remove(key: string): Promise<void> {
    this.#files.delete(key);
  }

  async compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    if (this.#files.get(key) !== expected) return false;
    if (next === undefined) this.#files.delete(key);
    else this.#files.set(key, next);
    return true;
  }
}
