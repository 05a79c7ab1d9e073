import type { AppendStorage } from './storage.js';

/**
 * A folder of another storage: every key is `prefix` + key, and external-change notices for keys
 * outside the folder are not passed on (a `*` notice, "reload everything", is). Lets a store that
 * names its keys relative to its own folder (cron's `jobs.json`, `runs/…`) live in a shared store.
 */
export class PrefixedStorage implements AppendStorage {
  readonly #inner: AppendStorage;
  readonly #prefix: string;
  readonly compareAndSet?: AppendStorage['compareAndSet'];
  readonly onExternalChange?: AppendStorage['onExternalChange'];

  constructor(inner: AppendStorage, prefix: string) {
    this.#inner = inner;
    this.#prefix = prefix;
    // Present exactly when the inner storage has them: callers test for them to know storage is shared.
    if (inner.compareAndSet) this.compareAndSet = (key, expected, next) => inner.compareAndSet!(prefix + key, expected, next);
    if (inner.onExternalChange) {
      this.onExternalChange = (listener) =>
        inner.onExternalChange!((key) => {
          if (key === '*') listener(key);
          else if (key.startsWith(prefix)) listener(key.slice(prefix.length));
        });
    }
  }

  read(key: string): Promise<string | undefined> {
    return this.#inner.read(this.#prefix + key);
  }

  write(key: string, data: string): Promise<void> {
    return this.#inner.write(this.#prefix + key, data);
  }

  append(key: string, data: string): Promise<void> {
    return this.#inner.append(this.#prefix + key, data);
  }

  locate(key: string): string | undefined {
    return this.#inner.locate?.(this.#prefix + key);
  }

  async remove(key: string): Promise<void> {
    await this.#inner.remove?.(this.#prefix + key);
  }
}
