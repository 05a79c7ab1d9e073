import type { AppendStorage } from '../../lib/storage.js';

/** An AppendStorage that passes everything to `inner` and counts whole-file writes per key. */
export class CountingStorage implements AppendStorage {
  readonly writes = new Map<string, number>();
  readonly #inner: AppendStorage;
  /** When set, writes of keys it matches fail (a full disk). */
  failWrites?: (key: string) => boolean;

  constructor(inner: AppendStorage) {
    this.#inner = inner;
  }

  /** Writes of keys ending in `suffix` (`sessions.json`). */
  writesOf(suffix: string): number {
    let n = 0;
    for (const [key, count] of this.writes) if (key.endsWith(suffix)) n += count;
    return n;
  }

  read(key: string): Promise<string | undefined> {
    return this.#inner.read(key);
  }

  async write(key: string, data: string): Promise<void> {
    if (this.failWrites?.(key)) throw new Error('ENOSPC: no space left on device');
    this.writes.set(key, (this.writes.get(key) ?? 0) + 1);
    await this.#inner.write(key, data);
  }

  append(key: string, data: string): Promise<void> {
    return this.#inner.append(key, data);
  }

  locate(key: string): string | undefined {
    return this.#inner.locate?.(key);
  }

  async remove(key: string): Promise<void> {
    await this.#inner.remove?.(key);
  }
}
