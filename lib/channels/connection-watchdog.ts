import type { Clock, TimerHandle } from '../clock.js';

/** When a connected account that hears nothing gets probed. */
export interface WatchdogOptions {
  /** Silence (no inbound traffic, acks or keepalive answers) longer than this gets a probe. */
  silenceMs?: number;
  /** How long the probe may take before the connection counts as dead (default 10 s). */
  probeTimeoutMs?: number;
}

export interface ConnectionWatchdogOptions extends WatchdogOptions {
  clock: Clock;
  /** Default `silenceMs` of this kind of connection. */
  defaultSilenceMs: number;
  /** Asks the network for a sign of life; resolves when it answered. */
  probe(signal: AbortSignal): Promise<void>;
  /** The probe failed: the connection only looks open. The watchdog is stopped by then. */
  onDead(reason: string): void;
}

/**
 * Tells a live connection from one that only looks open. Traffic resets it (`touch`); after
 * `silenceMs` without any, it probes once, and a probe that fails or does not answer in time
 * declares the connection dead so the channel reconnects. Runs on the injected clock.
 */
export class ConnectionWatchdog {
  readonly #options: ConnectionWatchdogOptions;
  readonly #silenceMs: number;
  #lastActivityAt = 0;
  #timer?: TimerHandle;
  #probe?: AbortController;
  #running = false;

  constructor(options: ConnectionWatchdogOptions) {
    this.#options = options;
    this.#silenceMs = options.silenceMs ?? options.defaultSilenceMs;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Watches from now on (a new connection); restarting is fine. */
  start(): void {
    this.stop();
    this.#running = true;
    this.touch();
    this.#arm(this.#silenceMs);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#probe?.abort();
    this.#probe = undefined;
  }

  /** The connection showed life: inbound traffic, an ack, a keepalive answer. */
  touch(): void {
    this.#lastActivityAt = this.#options.clock.now();
  }

  #arm(ms: number): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#check();
    }, ms);
  }

  #check(): void {
    if (!this.#running) return;
    const idle = this.#options.clock.now() - this.#lastActivityAt;
    if (idle < this.#silenceMs) return this.#arm(this.#silenceMs - idle);
    this.#runProbe(idle).catch(() => undefined);
  }

  async #runProbe(idleMs: number): Promise<void> {
    const { clock } = this.#options;
    const timeoutMs = this.#options.probeTimeoutMs ?? 10_000;
    const abort = new AbortController();
    this.#probe = abort;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    let failure: string | undefined;
    try {
      await Promise.race([this.#options.probe(abort.signal), timedOut]);
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    } finally {
      clock.clearTimeout(timer!);
      abort.abort();
    }
    // Stopped (or restarted for a new connection) while the probe ran: its answer is stale.
    if (this.#probe !== abort || !this.#running) return;
    this.#probe = undefined;
    if (failure === undefined) {
      this.touch();
      this.#arm(this.#silenceMs);
      return;
    }
    this.#running = false;
    this.#options.onDead(`silent for ${Math.round(idleMs / 1000)} s and the probe failed (${failure})`);
  }
}
