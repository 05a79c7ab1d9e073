import type { Clock, TimerHandle } from '../clock.js';
import type { Lease, LeaseProvider } from '../lease.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** How channel accounts are held (`ChannelManagerOptions.leases`). */
export interface AccountLeaseOptions {
  /** Lease TTL, renewed every third of it (default 30 s). */
  ttlMs?: number;
  /** Retries while another process holds the account (default 2 s doubling to 60 s, forever). */
  retry?: BackoffOptions;
}

export interface LeaseKeeperOptions extends AccountLeaseOptions {
  leases: LeaseProvider;
  key: string;
  clock: Clock;
  /** Where the keeper says what changed (owned, held elsewhere, lost). */
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Time to call `acquire` again: the lease was held elsewhere, or the store failed. */
  onRetry(): void;
  /** The held lease was lost: the account must close before anyone else opens it. */
  onLost(): void;
}

const DEFAULT_RETRY: BackoffOptions = { initialMs: 2000, maxMs: 60_000 };

/**
 * Holds one account's lease: takes it (or schedules the next try with capped backoff, never
 * giving up), renews it while held, and reports its loss. The manager decides what opens and
 * closes; this only keeps the lease and the timers.
 */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly #ttlMs: number;
  #lease?: Lease;
  #offLost?: () => void;
  #renewTimer?: TimerHandle;
  #retryTimer?: TimerHandle;
  #attempt = 0;
  #closed = false;
  readonly #offReleased?: () => void;
  /** Why the account is not held (another process has it, the store failed, it was lost), else null. */
  waiting: string | null = null;
  /** When the next try is due, while waiting. */
  retryAt: number | null = null;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? 30_000;
    // The holder gave the key up (a graceful stop elsewhere): waiting for the next retry would only delay the takeover.
    this.#offReleased = options.leases.onReleased?.((key) => {
      if (key !== options.key || this.#retryTimer === undefined || this.#closed) return;
      this.#cancelRetry();
      options.onRetry();
    });
  }

  get lease(): Lease | undefined {
    return this.#lease;
  }

  /** One try; true when the lease is held now. A miss schedules `onRetry`. */
  async acquire(): Promise<boolean> {
    if (this.#lease) return true;
    this.#cancelRetry();
    const { leases, key } = this.#options;
    let lease: Lease | undefined;
    try {
      lease = await leases.tryAcquire(key, { ttlMs: this.#ttlMs });
    } catch (err) {
      return this.#miss(`cannot take the account lock (${leases.describe(key)}): ${(err as Error).message}`);
    }
    if (this.#closed) {
      await lease?.release();
      return false;
    }
    if (!lease) return this.#miss(`held by another gateway process (${leases.describe(key)})`);
    this.#options.log('info', `owned by this process (fencing token ${lease.fencingToken})`);
    this.#lease = lease;
    this.#attempt = 0;
    this.waiting = null;
    this.retryAt = null;
    this.#offLost = lease.onLost((reason) => this.#lost(lease, reason));
    this.#renewTimer = this.#options.clock.setInterval(() => {
      lease.renew().catch((err: unknown) => this.#lost(lease, (err as Error).message));
    }, Math.max(1, Math.floor(this.#ttlMs / 3)));
    return true;
  }

  /** Gives the lease up and stops every timer; the keeper is done. */
  async release(): Promise<void> {
    this.#closed = true;
    this.#offReleased?.();
    this.#cancelRetry();
    const lease = this.#drop();
    await lease?.release();
  }

  #miss(reason: string): false {
    const { clock } = this.#options;
    const delay = backoffDelay(this.#attempt++, { ...DEFAULT_RETRY, ...this.#options.retry });
    if (reason !== this.waiting) this.#options.log('warn', `not started: ${reason}; retrying`);
    this.waiting = reason;
    this.retryAt = clock.now() + delay;
    if (!this.#closed) {
      this.#retryTimer = clock.setTimeout(() => {
        this.#retryTimer = undefined;
        this.#options.onRetry();
      }, delay);
    }
    return false;
  }

  #lost(lease: Lease, reason: string): void {
    if (this.#lease !== lease) return;
    this.#drop();
    this.waiting = `lost the account lock: ${reason}`;
    this.#options.log('error', `${this.waiting}; closing it`);
    this.#options.onLost();
  }

  #drop(): Lease | undefined {
    const lease = this.#lease;
    this.#lease = undefined;
    this.#offLost?.();
    this.#offLost = undefined;
    if (this.#renewTimer !== undefined) this.#options.clock.clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
    return lease;
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== undefined) this.#options.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
