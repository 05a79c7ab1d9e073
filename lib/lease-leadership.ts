import type { Clock } from './clock.js';
import { LeaseKeeper } from './channels/lease-keeper.js';
import type { LeaseProvider } from './lease.js';
import type { Logger } from './logger.js';
import { TypedEmitter } from './typed-emitter.js';

/** Whether this process is the one that runs a job the processes share (heartbeats), and when that changes. */
export interface Leadership {
  readonly leading: boolean;
  /** Called on every change; returns the unsubscribe. */
  onChange(listener: (leading: boolean) => void): () => void;
}

export interface LeaseLeadershipOptions {
  leases: LeaseProvider;
  /** The lease's key (`heartbeat`). */
  key: string;
  ttlMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * Leadership as a lease: the holder of `key` leads; the others try every third of the TTL (and at
 * once when the holder releases it), so a dead leader is replaced within the TTL. A lost lease
 * ends leadership at once.
 */
export class LeaseLeadership implements Leadership {
  readonly #keeper: LeaseKeeper;
  readonly #emitter: TypedEmitter<{ change: boolean }>;
  #leading = false;
  #closed = false;

  constructor(options: LeaseLeadershipOptions) {
    const { logger, key } = options;
    this.#emitter = new TypedEmitter((err) => logger.log('error', 'cluster', `leadership listener failed: ${(err as Error).message}`));
    this.#keeper = new LeaseKeeper({
      leases: options.leases,
      key,
      ttlMs: options.ttlMs,
      retry: { initialMs: options.ttlMs / 3, maxMs: options.ttlMs / 3 },
      clock: options.clock,
      log: (level, message) => logger.log(level === 'warn' ? 'debug' : level, 'cluster', `${key}: ${message}`),
      onRetry: () => this.#tryInBackground(logger),
      onLost: () => {
        this.#set(false);
        this.#tryInBackground(logger);
      },
    });
  }

  get leading(): boolean {
    return this.#leading;
  }

  onChange(listener: (leading: boolean) => void): () => void {
    return this.#emitter.on('change', listener);
  }

  /** First try; later ones follow by themselves until `close`. */
  start(): Promise<void> {
    return this.#try();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#set(false);
    await this.#keeper.release();
  }

  async #try(): Promise<void> {
    if (this.#closed) return;
    if (await this.#keeper.acquire()) this.#set(!this.#closed);
  }

  #tryInBackground(logger: Logger): void {
    this.#try().catch((err: unknown) => logger.log('error', 'cluster', `leadership: ${(err as Error).message}`));
  }

  #set(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#emitter.emit('change', leading);
  }
}
