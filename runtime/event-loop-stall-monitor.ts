import { performance } from 'node:perf_hooks';
import type { Logger } from '../lib/logger.js';
import type { ActiveRequest } from '../lib/request-activity.js';

/** `stallThresholdMs` when unset: a second without the event loop turning is worth a warning. */
export const DEFAULT_STALL_THRESHOLD_MS = 1000;

/** Requests named in one stall warning; the rest are counted. */
const LISTED_REQUESTS = 5;

/** What the monitor saw since it started. */
export interface EventLoopStalls {
  /** Stalls at or over the threshold. */
  count: number;
  /** The longest one, ms (0 before the first). */
  longestMs: number;
}

export interface EventLoopStallMonitorOptions {
  logger: Logger;
  /** A stall this long (ms) or longer is logged and counted. Default {@link DEFAULT_STALL_THRESHOLD_MS}. */
  thresholdMs?: number;
  /** What the gateway ran in the last `withinMs` (the kernel's `activeRequests`). */
  activity?: (withinMs: number) => ActiveRequest[];
  /** Monotonic milliseconds. Default `performance.now`. */
  now?: () => number;
}

/**
 * Notices the event loop being blocked (a synchronous handler, a huge JSON parse, a busy plugin):
 * a timer that should fire every `thresholdMs / 4` measures how late it runs. A stall at or over
 * the threshold is counted and logged as a warning naming the requests that ran during it. The
 * timer is unref'd: the monitor never keeps a process alive.
 */
export class EventLoopStallMonitor {
  readonly #options: EventLoopStallMonitorOptions;
  readonly #thresholdMs: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #stats: EventLoopStalls = { count: 0, longestMs: 0 };
  #timer?: NodeJS.Timeout;
  #last = 0;

  constructor(options: EventLoopStallMonitorOptions) {
    this.#options = options;
    this.#thresholdMs = options.thresholdMs ?? DEFAULT_STALL_THRESHOLD_MS;
    // Short enough that a stall is measured within a quarter of the threshold, long enough to be free.
    this.#intervalMs = Math.min(250, Math.max(10, Math.floor(this.#thresholdMs / 4)));
    this.#now = options.now ?? (() => performance.now());
  }

  get stats(): EventLoopStalls {
    return { ...this.#stats };
  }

  start(): void {
    if (this.#timer) return;
    this.#last = this.#now();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = this.#now();
    const gapMs = now - this.#last;
    this.#last = now;
    // The loop was blocked for at least this long: the timer was due `intervalMs` after the last tick.
    const stalledMs = Math.round(gapMs - this.#intervalMs);
    if (stalledMs < this.#thresholdMs) return;
    this.#stats.count++;
    this.#stats.longestMs = Math.max(this.#stats.longestMs, stalledMs);
    const requests = this.#options.activity?.(Math.ceil(gapMs)) ?? [];
    const listed = requests.slice(0, LISTED_REQUESTS).map((r) => `${r.method} (${Math.round(r.ms)} ms, ${r.running ? 'still running' : 'done'})`);
    if (requests.length > LISTED_REQUESTS) listed.push(`${requests.length - LISTED_REQUESTS} more`);
    const during = listed.length ? `requests then: ${listed.join(', ')}` : 'no gateway request was running (a timer, channel or plugin held it)';
    this.#options.logger.log('warn', 'gateway', `event loop blocked for ${stalledMs} ms (stall threshold ${this.#thresholdMs} ms); ${during}`, {
      stalledMs,
      stalls: this.#stats.count,
    });
  }
}
