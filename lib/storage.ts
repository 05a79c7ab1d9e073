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
}
