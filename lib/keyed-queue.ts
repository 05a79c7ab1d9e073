/**
 * Runs tasks one at a time per key, in submission order; different keys run concurrently.
 * A failing task does not stop the ones queued behind it.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #depth = new Map<string, number>();

  /** Tasks queued or running for `key`. */
  size(key: string): number {
    return this.#depth.get(key) ?? 0;
  }

  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    this.#depth.set(key, this.size(key) + 1);
    const next = previous.then(task);
    // The task's own caller sees its failure through `next`; the queue only needs it finished.
    const settled = () => {
      const left = this.size(key) - 1;
      if (left > 0) {
        this.#depth.set(key, left);
      } else {
        this.#depth.delete(key);
        this.#tails.delete(key);
      }
    };
    this.#tails.set(key, next.then(settled, settled));
    return next;
  }
}
