import { DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { EventBus, EventBusEntry, EventBusRead, EventBusSubscribeOptions } from '../lib/event-bus.js';
import { silentLogger, type Logger } from '../lib/logger.js';

export interface NatsEventBusOptions {
  /** The JetStream stream of this tenant's events; created when missing. */
  stream: string;
  /** The one subject the stream holds; its stream sequence is the cursor. */
  subject: string;
  /** How long events stay replayable (default one hour). */
  maxAgeMs?: number;
  /** How many events the stream keeps at most (default 100 000); the oldest go first. */
  maxMessages?: number;
  logger?: Logger;
}

const DEFAULT_MAX_AGE_MS = 60 * 60_000;
const DEFAULT_MAX_MESSAGES = 100_000;
/** How long a publish waits for the stream's ack before the event goes to local clients only. */
const PUBLISH_TIMEOUT_MS = 2_000;
/** A consumer that broke (server restart, lost stream) is made again after this pause. */
const RESUBSCRIBE_DELAY_MS = 500;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * {@link EventBus} on a NATS JetStream stream: one stream per tenant holding one subject, so the
 * stream sequence is the cursor every instance shares. Subscribers are ordered consumers started
 * at a sequence, which the client re-creates after a gap or a server restart; `read` fetches a
 * range for a resuming client. Values travel as JSON.
 */
export class NatsEventBus<T> implements EventBus<T> {
  readonly id: string;
  readonly stream: string;
  readonly subject: string;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #logger: Logger;
  /** The stream's last sequence when this bus was opened: where a subscriber without `after` starts. */
  readonly #openedAt: number;
  readonly #stops = new Set<() => void>();
  #closed = false;
  /** Between a disconnect and the reconnect a publish fails at once instead of waiting out its timeout. */
  #connected = true;

  private constructor(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, options: NatsEventBusOptions, created: string, lastSeq: number) {
    this.#watch(nc).catch(() => undefined);
    this.#js = js;
    this.#jsm = jsm;
    this.stream = options.stream;
    this.subject = options.subject;
    this.#logger = options.logger ?? silentLogger;
    // A stream deleted and made again restarts its sequence: its creation time tells the two apart.
    this.id = `${options.stream}@${created}`;
    this.#openedAt = lastSeq;
  }

  /** Creates the stream when missing (or adopts the existing one) and opens the bus on it. */
  static async open<T>(nc: NatsConnection, options: NatsEventBusOptions): Promise<NatsEventBus<T>> {
    const jsm = await nc.jetstreamManager();
    const config = {
      name: options.stream,
      subjects: [options.subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: (options.maxAgeMs ?? DEFAULT_MAX_AGE_MS) * 1_000_000,
      max_msgs: options.maxMessages ?? DEFAULT_MAX_MESSAGES,
    };
    let info;
    try {
      info = await jsm.streams.info(options.stream);
    } catch {
      info = await jsm.streams.add(config).catch(async (err: unknown) => {
        // Another instance created it first.
        const existing = await jsm.streams.info(options.stream).catch(() => undefined);
        if (!existing) throw err;
        return existing;
      });
    }
    if (!info.config.subjects?.includes(options.subject)) {
      throw new Error(`JetStream stream ${options.stream} exists but does not hold ${options.subject}: use another cluster.nats.stream`);
    }
    return new NatsEventBus<T>(nc, nc.jetstream(), jsm, options, info.created, info.state.last_seq);
  }

  async publish(value: T): Promise<number> {
    if (this.#closed) throw new Error('event bus closed');
    if (!this.#connected) throw new Error('NATS is disconnected');
    const ack = await this.#js.publish(this.subject, encoder.encode(JSON.stringify(value)), { timeout: PUBLISH_TIMEOUT_MS });
    return ack.seq;
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') this.#connected = false;
      else if (status.type === 'reconnect') this.#connected = true;
    }
  }

  subscribe(listener: (entry: EventBusEntry<T>) => void, options: EventBusSubscribeOptions = {}): () => void {
    let next = (options.after ?? this.#openedAt) + 1;
    let stopped = false;
    let stopCurrent: (() => void) | undefined;
    const stop = () => {
      stopped = true;
      stopCurrent?.();
      this.#stops.delete(stop);
    };
    this.#stops.add(stop);
    const run = async () => {
      while (!stopped && !this.#closed) {
        try {
          const consumer = await this.#js.consumers.get(this.stream, { filterSubjects: this.subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: next });
          if (stopped) return;
          const messages = await consumer.consume({
            callback: (m) => {
              if (m.seq < next) return;
              next = m.seq + 1;
              let value: T;
              try {
                value = JSON.parse(decoder.decode(m.data)) as T;
              } catch {
                this.#logger.log('warn', 'cluster', `event ${m.seq} on ${this.stream} is not JSON; skipped`);
                return;
              }
              listener({ cursor: m.seq, value });
            },
          });
          stopCurrent = () => void messages.close().catch(() => undefined);
          if (stopped) stopCurrent();
          const failure = await messages.closed();
          if (failure) this.#logger.log('warn', 'cluster', `event consumer on ${this.stream} stopped: ${failure.message}; resubscribing from ${next}`);
        } catch (err) {
          if (stopped || this.#closed) return;
          this.#logger.log('warn', 'cluster', `cannot consume ${this.stream}: ${(err as Error).message}; retrying`);
        }
        if (!stopped && !this.#closed) await new Promise((r) => setTimeout(r, RESUBSCRIBE_DELAY_MS));
      }
    };
    run().catch((err: unknown) => this.#logger.log('error', 'cluster', `event subscriber on ${this.stream} failed: ${(err as Error).message}`));
    return stop;
  }

  async read(after: number, through: number, limit = 1000): Promise<EventBusRead<T>> {
    if (through <= after) return { entries: [], complete: true };
    const { state } = await this.#jsm.streams.info(this.stream);
    // Gone (aged out, or a sequence the stream never reached): the reader cannot be made whole.
    if (state.first_seq > after + 1 || through > state.last_seq || through - after > limit) return { entries: [], complete: false };
    const consumer = await this.#js.consumers.get(this.stream, { filterSubjects: this.subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 });
    const entries: EventBusEntry<T>[] = [];
    const batch = await consumer.fetch({ max_messages: through - after, expires: 5_000 });
    for await (const m of batch) {
      if (m.seq > through) break;
      entries.push({ cursor: m.seq, value: JSON.parse(decoder.decode(m.data)) as T });
      if (m.seq === through) break;
    }
    await consumer.delete().catch(() => undefined);
    return { entries, complete: entries.length === through - after };
  }

  /** The stream as the server sees it now, for `doctor` and status. */
  async info(): Promise<{ stream: string; messages: number; firstSeq: number; lastSeq: number }> {
    const { state } = await this.#jsm.streams.info(this.stream);
    return { stream: this.stream, messages: state.messages, firstSeq: state.first_seq, lastSeq: state.last_seq };
  }

  /** Stops every subscriber; the connection is its owner's to close. */
  close(): Promise<void> {
    this.#closed = true;
    for (const stop of [...this.#stops]) stop();
    return Promise.resolve();
  }
}
