import type { Storage } from '../storage.js';

type Rows<T> = Record<string, T>;

/**
 * The part of a session index kept on shared storage (a cluster store) that one process must
 * remember: the rows it changed and has not written yet. Writes merge those rows into the index
 * as stored now, by compare-and-set (again on a lost race), so rows other processes changed are
 * kept; a reload after another process's change keeps them too.
 */
export class SharedSessionIndex<T> {
  readonly #storage: Storage;
  readonly #dirty = new Map<string, Set<string>>();

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** Rows of `agentId` changed in memory, not yet written. */
  dirty(agentId: string): Set<string> {
    let dirty = this.#dirty.get(agentId);
    if (!dirty) this.#dirty.set(agentId, (dirty = new Set()));
    return dirty;
  }

  mark(agentId: string, changes: ReadonlyArray<readonly [string, unknown]>): void {
    const dirty = this.dirty(agentId);
    for (const [key] of changes) dirty.add(key);
  }

  /** `stored` with this process's unwritten rows of `local` laid over it (removed ones removed). */
  overlay(agentId: string, local: Rows<T>, stored: Rows<T>): Rows<T> {
    for (const row of this.dirty(agentId)) {
      if (Object.hasOwn(local, row)) stored[row] = local[row]!;
      else delete stored[row];
    }
    return stored;
  }

  /** Writes the unwritten rows into the stored index at `key`; `local` then holds the merged index. */
  async write(agentId: string, key: string, local: Rows<T>, parse: (text: string | undefined) => Rows<T>, serialize: (rows: Rows<T>) => string): Promise<void> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const text = await this.#storage.read(key);
      const merged = this.overlay(agentId, local, parse(text));
      if (await this.#storage.compareAndSet!(key, text, serialize(merged))) {
        this.dirty(agentId).clear();
        replaceContents(local, merged);
        return;
      }
    }
    throw new Error('the index kept changing under this write (too many concurrent writers)');
  }
}

/** Makes `target` hold exactly `source`'s rows (the loaded index object is shared with its readers). */
export function replaceContents<T>(target: Rows<T>, source: Rows<T>): void {
  for (const key of Object.keys(target)) if (!Object.hasOwn(source, key)) delete target[key];
  Object.assign(target, source);
}
