import { ChannelSendError, type Channel, type DeliveryResult } from '../channel.js';
import { settledWithin, type Clock, type TimerHandle } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { SendResult } from '../protocol/generated/types.js';
import type { NewOutboxEntry, OutboxEntry, OutboxFence, OutboxStore } from './outbox-store.js';
import { maskDigits } from './redact.js';

export interface OutboxDispatcherOptions {
  store: OutboxStore;
  /** The running account a send goes out through; throws a GatewayError saying why there is none. */
  target: (channel: string, accountId: string | undefined) => Channel;
  /** After each delivery (the manager's last-outbound time). */
  onDelivered?: (entry: OutboxEntry) => void;
  logger: Logger;
  clock: Clock;
  /** Tries per send, one a crash interrupted included, before it is reported failed (default 5). */
  maxAttempts?: number;
  /** A send still pending this long after it was recorded is reported failed (default 24 hours). */
  maxAgeMs?: number;
  /**
   * A cluster (the store has `submit`): true when the account is configured here but another
   * instance owns it, so its sends are handed to that instance through the shared outbox.
   */
  remote?: (channel: string, accountId: string | undefined) => boolean;
  /** The account's lease a try is claimed under; a shared store refuses a token that is no longer current. */
  fence?: (channel: string, accountId: string | undefined) => OutboxFence | undefined;
  /** How long a `send` handed to another instance waits for its outcome (default 30 s). */
  remoteWaitMs?: number;
  /** Shared stores: how often pending sends are looked for besides the change notices (default 5 s). */
  pollMs?: number;
}

/** A send to make once per key: what the outbox records before the first try. */
export type OutboxRequest = Omit<NewOutboxEntry, 'queued'>;

/**
 * Delivers every send through the outbox: recorded before its first try, marked delivered (with
 * the channel's result) or failed after it, so a duplicate gets the recorded outcome, also after a
 * restart. Concurrent duplicates share one try. Pending sends (a crash came first, or the account
 * was down for one of the gateway's own replies) are tried again by `flush`, in recorded order,
 * until they go out or reach the attempt/age limits, when they are marked failed and logged.
 *
 * Exactly once holds everywhere but one point: a crash after the channel accepted a message and
 * before `markDelivered` is on disk leaves the send pending, and the next start sends it again
 * (at-least-once there; neither Bot API nor WhatsApp Web offers a key to deduplicate on). A failure
 * that may have reached the network (`deliveryUnknown`) is never tried again.
 */
export class OutboxDispatcher {
  readonly #options: OutboxDispatcherOptions;
  readonly #inflight = new Map<string, Promise<SendResult | undefined>>();
  /** Sends handed to another instance, by key: woken when that key changes. */
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #offExternal?: () => void;
  readonly #poll?: TimerHandle;
  #flushing: Promise<void> = Promise.resolve();
  #flushQueued = false;
  #closed = false;

  constructor(options: OutboxDispatcherOptions) {
    this.#options = options;
    const { store, clock } = options;
    if (store.onExternalChange) {
      // Another instance recorded or settled a send: its owner (maybe us) delivers, its waiter looks.
      this.#offExternal = store.onExternalChange((key) => {
        for (const wake of [...(key === '*' ? [...this.#waiters.values()].flatMap((w) => [...w]) : (this.#waiters.get(key) ?? []))]) wake();
        this.#queueFlush();
      });
      this.#poll = clock.setInterval(() => this.#queueFlush(), options.pollMs ?? 5000);
    }
  }

  /** A `send` request: its result, or its failure (one that sent nothing leaves the key free). */
  async send(request: OutboxRequest): Promise<SendResult> {
    const result = await this.#once({ ...request, queued: false });
    // Only queued sends are left pending by a failure; this one resolved with a result or threw.
    return result!;
  }

  /**
   * One of the gateway's own sends (a reply): `queued` when the account cannot deliver now and the
   * send waits in the outbox for the account to connect. Throws when it failed for good.
   */
  async post(request: OutboxRequest): Promise<'delivered' | 'queued'> {
    return (await this.#once({ ...request, queued: true })) ? 'delivered' : 'queued';
  }

  /** Tries the pending sends (of one channel) whose account is connected, one at a time, oldest first. */
  flush(channel?: string): void {
    // Sends waiting for another instance skip the flush (they are in flight here): they look now.
    for (const wake of [...this.#waiters.values()].flatMap((w) => [...w])) wake();
    this.#flushing = this.#flushing
      .then(() => this.#flush(channel))
      .catch((err: unknown) => this.#options.logger.log('error', 'channels', `outbox retry failed: ${(err as Error).message}`));
  }

  /**
   * No send starts after this; pending ones stay recorded for the next start. Resolves once the
   * sends under way settled (and their outcome is recorded), or after `timeoutMs`.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.#offExternal?.();
    if (this.#poll !== undefined) this.#options.clock.clearInterval(this.#poll);
    for (const wake of [...this.#waiters.values()].flatMap((w) => [...w])) wake();
    if (!this.#inflight.size || timeoutMs <= 0) return;
    await settledWithin([...this.#inflight.values()], timeoutMs, this.#options.clock);
  }

  #once(request: NewOutboxEntry): Promise<SendResult | undefined> {
    if (this.#closed) return Promise.reject(new GatewayError('UNAVAILABLE', 'the channels are stopped'));
    const running = this.#inflight.get(request.key);
    if (running) return running;
    const task = this.#run(request).finally(() => this.#inflight.delete(request.key));
    this.#inflight.set(request.key, task);
    return task;
  }

  async #run(request: NewOutboxEntry): Promise<SendResult | undefined> {
    const { store } = this.#options;
    const existing = await store.get(request.key);
    if (existing?.state === 'delivered' && existing.result) return existing.result;
    if (existing?.state === 'failed' && existing.error?.deliveryUnknown) throw recordedError(existing);
    if (this.#remote(request)) return this.#handOff(request, existing);
    if (existing?.state === 'pending') return this.#retry(existing);
    // A new key, or one whose last try sent nothing. A request whose account cannot take it
    // fails before anything is recorded; the gateway's own sends are recorded to wait.
    if (!request.queued) this.#options.target(request.channel, request.accountId);
    // A shared store may answer with what another instance recorded under the key first.
    return this.#claimed(await store.enqueue(request, this.#fence(request)));
  }

  /** The account is another instance's: record the send for it and (a `send` request) wait for its outcome. */
  async #handOff(request: NewOutboxEntry, existing: OutboxEntry | undefined): Promise<SendResult | undefined> {
    const entry = existing?.state === 'pending' ? existing : await this.#options.store.submit!(request);
    if (entry.state !== 'pending') return this.#claimed(entry);
    if (request.queued) return undefined;
    const { clock } = this.#options;
    const deadline = clock.now() + (this.#options.remoteWaitMs ?? 30_000);
    let waiters = this.#waiters.get(entry.key);
    if (!waiters) this.#waiters.set(entry.key, (waiters = new Set()));
    try {
      while (!this.#closed && clock.now() < deadline) {
        // A notice about the key wakes us; the timer covers a notice lost with a reconnect.
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(done, Math.min(1000, Math.max(0, deadline - clock.now())));
          function done(): void {
            clock.clearTimeout(timer);
            waiters!.delete(done);
            resolve();
          }
          waiters!.add(done);
        });
        const now = await this.#options.store.get(entry.key);
        if (now && now.state !== 'pending') return this.#claimed(now);
        // The account came to us meanwhile (its owner died) and is up: deliver it ourselves.
        if (now && !this.#remote(now) && (this.#ready(now) || this.#due(now))) return this.#retry(now);
      }
    } finally {
      if (!waiters.size) this.#waiters.delete(entry.key);
    }
    throw new GatewayError('UNAVAILABLE', `${entry.channel} send handed to the instance that owns the account is still pending; the same idempotencyKey returns its outcome`, {
      retryable: true,
      retryAfterMs: 1000,
      details: { channel: entry.channel, accountId: entry.accountId, pending: true },
    });
  }

  /** What the store handed back: a settled entry's outcome, or a pending one (claimed by us) to deliver. */
  #claimed(entry: OutboxEntry): Promise<SendResult | undefined> {
    if (entry.state === 'delivered' && entry.result) return Promise.resolve(entry.result);
    if (entry.state === 'failed') return Promise.reject(recordedError(entry));
    return this.#deliver(entry);
  }

  #remote(entry: Pick<OutboxEntry, 'channel' | 'accountId'>): boolean {
    return this.#options.store.submit !== undefined && this.#options.remote?.(entry.channel, entry.accountId) === true;
  }

  #fence(entry: Pick<OutboxEntry, 'channel' | 'accountId'>): OutboxFence | undefined {
    return this.#options.fence?.(entry.channel, entry.accountId);
  }

  #queueFlush(): void {
    if (this.#flushQueued || this.#closed) return;
    this.#flushQueued = true;
    this.#flushing = this.#flushing.finally(() => {
      this.#flushQueued = false;
      this.flush();
    });
  }

  async #retry(entry: OutboxEntry): Promise<SendResult | undefined> {
    const { store, logger, clock } = this.#options;
    if (this.#due(entry)) {
      const ageS = Math.round((clock.now() - entry.createdAt) / 1000);
      const failed = { ...entry, error: { message: `${entry.channel} delivery given up after ${entry.attempts} attempt(s) in ${ageS}s`, deliveryUnknown: true } };
      await store.markFailed(entry.key, failed.error);
      logger.log('warn', `channels/${entry.channel}`, `outbox: ${failed.error.message}`, { key: maskDigits(entry.key) });
      throw recordedError(failed);
    }
    return this.#claimed((await store.markAttempt(entry.key, this.#fence(entry))) ?? entry);
  }

  async #deliver(entry: OutboxEntry): Promise<SendResult | undefined> {
    const { store, logger } = this.#options;
    const subsystem = `channels/${entry.channel}`;
    let channel: Channel | undefined;
    let delivered: DeliveryResult;
    try {
      channel = this.#options.target(entry.channel, entry.accountId);
      delivered = await channel.send(entry.message);
    } catch (raw) {
      const err =
        raw instanceof GatewayError
          ? raw
          : new ChannelSendError(`${entry.channel} delivery failed: ${maskDigits((raw as Error).message)}`, {
              deliveryUnknown: true,
              details: { channel: entry.channel, accountId: channel?.accountId ?? entry.accountId },
            });
      const unknown = err instanceof ChannelSendError && err.deliveryUnknown;
      if (entry.queued && !unknown && retryLater(err, channel)) {
        logger.log('info', subsystem, `outbox: send kept for retry: ${maskDigits(err.message)}`, { key: maskDigits(entry.key) });
        return undefined;
      }
      await store
        .markFailed(entry.key, { message: err.message, deliveryUnknown: unknown, ...(err.details === undefined ? {} : { details: err.details }) })
        .catch((e: unknown) => logger.log('error', subsystem, `outbox: recording a failed send failed: ${(e as Error).message}`));
      throw err;
    }
    const result: SendResult = { runId: entry.runId, channel: entry.channel, ...delivered };
    try {
      await store.markDelivered(entry.key, result);
    } catch (err) {
      logger.log('error', subsystem, `outbox: delivered, but recording it failed (a restart may send it again): ${(err as Error).message}`, {
        key: maskDigits(entry.key),
      });
    }
    this.#options.onDelivered?.(entry);
    return result;
  }

  async #flush(channel: string | undefined): Promise<void> {
    for (const entry of await this.#options.store.pending()) {
      if (this.#closed) return;
      if ((channel !== undefined && entry.channel !== channel) || this.#inflight.has(entry.key) || this.#remote(entry)) continue;
      // Over its limits it is failed now; otherwise it waits until its account is connected.
      if (!this.#due(entry) && !this.#ready(entry)) continue;
      // Failures are recorded and logged on the way.
      await this.#once(entry).catch(() => undefined);
    }
  }

  #due(entry: OutboxEntry): boolean {
    return entry.attempts >= (this.#options.maxAttempts ?? 5) || this.#options.clock.now() - entry.createdAt >= (this.#options.maxAgeMs ?? 24 * 60 * 60_000);
  }

  #ready(entry: OutboxEntry): boolean {
    try {
      return this.#options.target(entry.channel, entry.accountId).status().connected;
    } catch {
      return false;
    }
  }
}

/** A definite failure of one of our own sends is worth waiting out when the account is down or asked for a retry. */
function retryLater(err: GatewayError, channel: Channel | undefined): boolean {
  if (err.code === 'INVALID_REQUEST') return false;
  return err.retryable === true || !channel?.status().connected;
}

function recordedError(entry: OutboxEntry): ChannelSendError {
  const error = entry.error ?? { message: `${entry.channel} delivery failed`, deliveryUnknown: true };
  return new ChannelSendError(error.message, { deliveryUnknown: error.deliveryUnknown, details: error.details ?? { channel: entry.channel, accountId: entry.accountId } });
}
