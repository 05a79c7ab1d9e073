/** A listener may return a promise: `emitAsync` waits for it, and its failure is reported either way. */
export type Listener<T> = (payload: T) => void | Promise<void>;

/**
 * A multi-listener emitter typed by an event map. `on` returns its own unsubscribe function.
 * A throwing listener never breaks the emitter: the error goes to `onListenerError`.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  readonly #onListenerError: (err: unknown, event: keyof Events) => void;

  constructor(onListenerError: (err: unknown, event: keyof Events) => void) {
    this.#onListenerError = onListenerError;
  }

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      return listener(payload);
    });
    return off;
  }

  hasListeners(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    this.#call(event, payload);
  }

  /**
   * Like `emit`, then waits for the promises listeners returned (a listener's way of saying when it
   * is done with the payload).
   */
  async emitAsync<K extends keyof Events>(event: K, payload: Events[K]): Promise<void> {
    const pending: Promise<void>[] = [];
    this.#call(event, payload, pending);
    await Promise.all(pending);
  }

  /** Calls every listener; a promise one returns reports its own failure, and goes to `pending` when given. */
  #call<K extends keyof Events>(event: K, payload: Events[K], pending?: Promise<void>[]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        // Listeners typed as returning nothing may still return a value (`list.push(x)`): only promises count.
        const returned: unknown = (listener as Listener<Events[K]>)(payload);
        if (!(returned instanceof Promise)) continue;
        const handled = returned.then(undefined, (err: unknown) => this.#onListenerError(err, event));
        pending?.push(handled);
      } catch (err) {
        this.#onListenerError(err, event);
      }
    }
  }
}
