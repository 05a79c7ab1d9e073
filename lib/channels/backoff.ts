import type { Clock } from '../clock.js';

export interface BackoffOptions {
  /** First delay (default 1000 ms). */
  initialMs?: number;
  /** Cap (default 30000 ms). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Random spread as a fraction of the delay (default 0.2), so restarted gateways do not retry in step. */
  jitter?: number;
}

/** Capped exponential backoff: `delay(0)` is the initial delay, each attempt multiplies it up to the cap. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 1000;
  const max = options.maxMs ?? 30_000;
  const base = Math.min(max, initial * (options.factor ?? 2) ** Math.max(0, attempt));
  const spread = base * (options.jitter ?? 0.2);
  return Math.max(0, Math.min(max, Math.round(base - spread + random() * 2 * spread)));
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
