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

/** A request counted as running; handed back to `end`. */
export interface RequestMark {
  readonly method: string;
  readonly startedMs: number;
  endedMs: number;
}

/**
 * The requests the kernel is running and the last few it finished. Finished ones matter: a
 * handler that blocks the event loop has returned by the time anything can look, so a stall
 * report asks what ran during the stall, not only what runs now. Every request passes through
 * here, so it costs one small object and no closure: the finished ones sit in a fixed ring.
 */
export class RequestActivity {
  readonly #now: () => number;
  readonly #running = new Set<RequestMark>();
  readonly #finished: Array<RequestMark | undefined>;
  #next = 0;
  readonly #onEnd?: (method: string, outcome: string, durationMs: number) => void;

  /** `onEnd` hears every request that finished, after it stopped counting as running. */
  constructor(now: () => number, keepFinished = 32, onEnd?: (method: string, outcome: string, durationMs: number) => void) {
    this.#now = now;
    this.#finished = new Array<RequestMark | undefined>(Math.max(1, keepFinished)).fill(undefined);
    this.#onEnd = onEnd;
  }

  /** Counts `method` as running until `end` is called with the returned mark. */
  begin(method: string): RequestMark {
    const mark: RequestMark = { method, startedMs: this.#now(), endedMs: -1 };
    this.#running.add(mark);
    return mark;
  }

  /** Stops counting it as running; returns how long it ran (ms). A second call changes nothing. */
  end(mark: RequestMark, outcome = 'ok'): number {
    if (!this.#running.delete(mark)) return mark.endedMs - mark.startedMs;
    mark.endedMs = this.#now();
    this.#finished[this.#next] = mark;
    this.#next = (this.#next + 1) % this.#finished.length;
    const ms = mark.endedMs - mark.startedMs;
    this.#onEnd?.(mark.method, outcome, ms);
    return ms;
  }

  /** Requests running now, then those that finished within the last `withinMs` (most recent first). */
  list(withinMs = 0): ActiveRequest[] {
    const now = this.#now();
    const out = [...this.#running].map((e) => ({ method: e.method, ms: now - e.startedMs, running: true }));
    const size = this.#finished.length;
    for (let i = 1; i <= size; i++) {
      const e = this.#finished[(this.#next - i + size) % size];
      if (e && now - e.endedMs <= withinMs) out.push({ method: e.method, ms: e.endedMs - e.startedMs, running: false });
    }
    return out;
  }
}
