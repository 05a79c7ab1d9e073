export type TimerHandle = { readonly __timer: unique symbol } | number | object;

/** Time and timers, injectable so tests can drive them. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

type NodeTimer = { unref?: () => void };

/** The process clock. Timers are unref'd so an idle Gateway never keeps the process alive alone. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => unref(setTimeout(fn, ms)),
  clearTimeout: (h) => clearTimeout(h as Parameters<typeof clearTimeout>[0]),
  setInterval: (fn, ms) => unref(setInterval(fn, ms)),
  clearInterval: (h) => clearInterval(h as Parameters<typeof clearInterval>[0]),
};

function unref<T>(timer: T): T {
  (timer as NodeTimer).unref?.();
  return timer;
}

/** Resolves once every task has settled, or after `timeoutMs`, whichever is first (drains at shutdown). */
export async function settledWithin(tasks: Iterable<Promise<unknown>>, timeoutMs: number, clock: Clock): Promise<void> {
  let timer: TimerHandle | undefined;
  const deadline = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, timeoutMs)));
  await Promise.race([Promise.allSettled(tasks), deadline]);
  if (timer !== undefined) clock.clearTimeout(timer);
}
