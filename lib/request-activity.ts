/** One request the kernel runs or ran lately, as a stall report names it. */
export interface ActiveRequest {
  method: string;
  /** Since it started (running) or how long it took (finished), ms. */
  ms: number;
  running: boolean;
}

/** A request the kernel answered: what its `request-completed` event reports. */
export interface CompletedRequest {
  method: string;
  /** `ok`, or the code of the error it was answered with. */
  outcome: string;
  durationMs: number;
}

interface Entry {
  method: string;
  startedMs: number;
  endedMs?: number;
}

/**
 * The requests the kernel is running and the last few it finished. Finished ones matter: a
 * handler that blocks the event loop has returned by the time anything can look, so a stall
 * report asks what ran during the stall, not only what runs now.
 */
export class RequestActivity {
  readonly #now: () => number;
  readonly #keep: number;
  readonly #running = new Set<Entry>();
  readonly #finished: Entry[] = [];
  readonly #onEnd?: (method: string, outcome: string, durationMs: number) => void;

  /** `onEnd` hears every request that finished, after it stopped counting as running. */
  constructor(now: () => number, keepFinished = 32, onEnd?: (method: string, outcome: string, durationMs: number) => void) {
    this.#now = now;
    this.#keep = keepFinished;
    this.#onEnd = onEnd;
  }

  /** Counts `method` as running until the returned function is called with how it ended. */
  begin(method: string): (outcome?: string) => void {
    const entry: Entry = { method, startedMs: this.#now() };
    this.#running.add(entry);
    return (outcome = 'ok') => {
      if (!this.#running.delete(entry)) return;
      entry.endedMs = this.#now();
      this.#finished.push(entry);
      if (this.#finished.length > this.#keep) this.#finished.shift();
      this.#onEnd?.(method, outcome, entry.endedMs - entry.startedMs);
    };
  }

  /** Requests running now, then those that finished within the last `withinMs` (most recent first). */
  list(withinMs = 0): ActiveRequest[] {
    const now = this.#now();
    const running = [...this.#running].map((e) => ({ method: e.method, ms: now - e.startedMs, running: true }));
    const finished = this.#finished
      .filter((e) => now - e.endedMs! <= withinMs)
      .reverse()
      .map((e) => ({ method: e.method, ms: e.endedMs! - e.startedMs, running: false }));
    return [...running, ...finished];
  }
}
