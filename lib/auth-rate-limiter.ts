import { systemClock, type Clock } from './clock.js';

export interface AuthRateLimiterOptions {
  /** Block after the first failure of a key; doubles per further failure. Default 250 ms. */
  initialDelayMs?: number;
  /** Cap of the per-key block. Default 5 s. */
  maxDelayMs?: number;
  /** Sustained failures per second that all untrusted keys together may make. Default 5. */
  globalFailuresPerSecond?: number;
  /** Failures the global budget absorbs at once before it throttles. Default 20. */
  globalBurst?: number;
  /** A key with no failure for this long starts over. Default 10 min. */
  forgetAfterMs?: number;
  /** A key that authenticated within this long is spared the global budget. Default 24 h. */
  rememberSuccessMs?: number;
  /** Keys remembered at most (failing and succeeded, each); the least recent is forgotten first. Default 10,000. */
  maxKeys?: number;
  clock?: Clock;
}

/**
 * Who is attempting: the keys whose failure history applies (a source address, a device), and
 * whether it is trusted. A trusted attempt (a paired device whose signature verified), like one
 * with a key that authenticated recently, is judged on its own keys only, so nobody else's
 * failures, however many, can slow it.
 */
export interface AuthAttempt {
  keys: readonly string[];
  trusted?: boolean;
}

export type AuthLimit = { ok: true } | { ok: false; retryAfterMs: number };

interface KeyState {
  failures: number;
  blockedUntil: number;
  lastFailureAt: number;
}

/**
 * Brute-force protection for every place a secret is checked (connect token/password, device
 * token, HTTP bearer, hook token): exponential backoff per key, reset on success, plus a global
 * failure budget so that many source addresses cannot add up to a fast guesser. A blocked
 * attempt is refused before its secret is compared, so guessing faster than the backoff learns
 * nothing.
 */
export class AuthRateLimiter {
  readonly #keys = new Map<string, KeyState>();
  readonly #succeeded = new Map<string, number>();
  readonly #clock: Clock;
  readonly #initial: number;
  readonly #max: number;
  readonly #rate: number;
  readonly #burst: number;
  readonly #forgetAfter: number;
  readonly #rememberSuccess: number;
  readonly #maxKeys: number;
  #tokens: number;
  #tokensAt: number;

  constructor(options: AuthRateLimiterOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#initial = options.initialDelayMs ?? 250;
    this.#max = options.maxDelayMs ?? 5_000;
    this.#rate = options.globalFailuresPerSecond ?? 5;
    this.#burst = options.globalBurst ?? 20;
    this.#forgetAfter = options.forgetAfterMs ?? 10 * 60_000;
    this.#rememberSuccess = options.rememberSuccessMs ?? 24 * 60 * 60_000;
    this.#maxKeys = options.maxKeys ?? 10_000;
    this.#tokens = this.#burst;
    this.#tokensAt = this.#clock.now();
  }

  /** Whether the attempt may have its secret checked now; if not, when it may. */
  check(attempt: AuthAttempt): AuthLimit {
    const now = this.#clock.now();
    let wait = 0;
    for (const key of attempt.keys) {
      const state = this.#live(key, now);
      if (state) wait = Math.max(wait, state.blockedUntil - now);
    }
    if (!this.#spared(attempt, now)) {
      const tokens = this.#refill(now);
      if (tokens < 1) wait = Math.max(wait, Math.ceil(((1 - tokens) / this.#rate) * 1000));
    }
    return wait > 0 ? { ok: false, retryAfterMs: wait } : { ok: true };
  }

  /** Records a wrong secret; returns how long the attempt's keys are now blocked. */
  failed(attempt: AuthAttempt): number {
    const now = this.#clock.now();
    let blocked = 0;
    for (const key of attempt.keys) {
      const state = this.#live(key, now) ?? { failures: 0, blockedUntil: 0, lastFailureAt: 0 };
      state.failures += 1;
      state.lastFailureAt = now;
      state.blockedUntil = now + Math.min(this.#max, this.#initial * 2 ** (state.failures - 1));
      blocked = Math.max(blocked, state.blockedUntil - now);
      // Re-inserted so the map's order is least recently failed first, which eviction relies on.
      this.#keys.delete(key);
      this.#keys.set(key, state);
    }
    if (!this.#spared(attempt, now)) this.#tokens = this.#refill(now) - 1;
    trim(this.#keys, this.#maxKeys);
    return blocked;
  }

  /** A correct secret clears the history of the attempt's keys, and spares them the global budget. */
  succeeded(attempt: AuthAttempt): void {
    const now = this.#clock.now();
    for (const key of attempt.keys) {
      this.#keys.delete(key);
      this.#succeeded.delete(key);
      this.#succeeded.set(key, now);
    }
    trim(this.#succeeded, this.#maxKeys);
  }

  /** Keys with a failure history, for tests and status. */
  get trackedKeys(): number {
    return this.#keys.size;
  }

  #live(key: string, now: number): KeyState | undefined {
    const state = this.#keys.get(key);
    if (state && now - state.lastFailureAt >= this.#forgetAfter) {
      this.#keys.delete(key);
      return undefined;
    }
    return state;
  }

  #spared(attempt: AuthAttempt, now: number): boolean {
    if (attempt.trusted) return true;
    return attempt.keys.some((key) => {
      const at = this.#succeeded.get(key);
      return at !== undefined && now - at < this.#rememberSuccess;
    });
  }

  #refill(now: number): number {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#tokensAt) / 1000) * this.#rate);
    this.#tokensAt = now;
    return this.#tokens;
  }
}

/** Drops the oldest entries of an insertion-ordered map beyond `max`. */
function trim(map: Map<string, unknown>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value!);
}

/**
 * The key of a network source: its address, an IPv6 one by its /64 (one host's allocation, so it
 * cannot make a fresh key per guess). Nothing the client chooses (an Origin header, a forwarded
 * hop it wrote itself) is part of it.
 */
export function sourceKey(remoteAddress: string): string {
  return `source:${remoteAddress.includes(':') ? ipv6Prefix64(remoteAddress) : remoteAddress}`;
}

function ipv6Prefix64(address: string): string {
  const [head = '', tail] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
