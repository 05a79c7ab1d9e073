import type { InboundMessage } from '../channel.js';
import { settledWithin, type Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { RecordLog } from '../record-log.js';
import type { Storage } from '../storage.js';
import { inboundKey, type InboundOutcome } from './inbound-router.js';
import { maskDigits } from './redact.js';

export interface InboundJournalOptions {
  storage: Storage;
  /** Default `delivery/inbound.jsonl`. */
  key?: string;
  /** Handles one message (the router); `runId` is new for each replay, so a replay is a run of its own. */
  route: (message: InboundMessage, runId: string) => Promise<InboundOutcome>;
  /** What became of each handled message. */
  onOutcome: (message: InboundMessage, outcome: InboundOutcome) => void;
  logger: Logger;
  clock: Clock;
  /** Handlings of one message (its first and the replays after crashes) before it is dropped (default 3). */
  maxAttempts?: number;
}

interface JournalEntry {
  message: InboundMessage;
  receivedAt: number;
  /** Handlings started, the first one included. */
  attempts: number;
}

/**
 * Inbound messages on disk from before the channel acknowledges them until their handling ended
 * (the agent's reply is in the outbox, or the message was dropped or failed), so a crash in between
 * loses none: the next start replays them. A message that keeps failing to finish (it crashes the
 * gateway, say) is dropped after `maxAttempts` handlings. On stop, handlings may finish up to a
 * deadline; later ones leave their messages for the next start.
 */
export class InboundJournal {
  readonly #options: InboundJournalOptions;
  readonly #log: RecordLog<JournalEntry>;
  /** Keys handled (or being journaled) in this process: a redelivery of one is not handled twice. */
  readonly #active = new Set<string>();
  readonly #handlings = new Set<Promise<void>>();
  /** Stopping: new messages are journaled for the next start, not handled. */
  #draining = false;
  /** Stopped: outcomes no longer change the journal. */
  #closed = false;

  constructor(options: InboundJournalOptions) {
    this.#options = options;
    this.#log = new RecordLog({ storage: options.storage, key: options.key ?? 'delivery/inbound.jsonl', logger: options.logger });
  }

  /**
   * Journals a message, then hands it to the router in the background. Resolves once the message
   * is durable: the channel acknowledges it upstream only then. Never rejects.
   */
  async accept(message: InboundMessage): Promise<void> {
    const key = inboundKey(message);
    if (this.#active.has(key)) return;
    this.#active.add(key);
    try {
      // Journaled by an earlier process and not replayed yet: the replay handles it.
      if ((await this.#log.load()).has(key)) {
        this.#active.delete(key);
        return;
      }
      await this.#log.write([[key, { message, receivedAt: this.#options.clock.now(), attempts: 1 }]]);
    } catch (err) {
      this.#options.logger.log('error', `channels/${message.channel}`, `journaling an inbound message failed (a crash now would lose it): ${(err as Error).message}`);
    }
    if (this.#draining) {
      this.#active.delete(key);
      return;
    }
    this.#handle(key, message, key);
  }

  /** At start: hands the router every message an earlier process journaled and did not finish. */
  async replay(): Promise<void> {
    const { logger } = this.#options;
    let records: ReadonlyMap<string, JournalEntry>;
    try {
      records = await this.#log.load();
    } catch (err) {
      logger.log('error', 'channels', `reading the inbound journal failed; unfinished messages are not replayed: ${(err as Error).message}`);
      return;
    }
    for (const [key, entry] of [...records]) {
      if (this.#active.has(key)) continue;
      this.#active.add(key);
      const { message } = entry;
      const subsystem = `channels/${message.channel}`;
      const where = { key: maskDigits(key) };
      try {
        if (entry.attempts >= (this.#options.maxAttempts ?? 3)) {
          logger.log('warn', subsystem, `dropping an inbound message handled ${entry.attempts} times without finishing`, where);
          await this.#log.write([[key, undefined]]);
          this.#active.delete(key);
          continue;
        }
        await this.#log.write([[key, { ...entry, attempts: entry.attempts + 1 }]]);
      } catch (err) {
        logger.log('error', subsystem, `updating the inbound journal failed: ${(err as Error).message}`, where);
      }
      logger.log('info', subsystem, 'replaying an inbound message the previous run did not finish', where);
      this.#handle(key, message, `${key}#${entry.attempts + 1}`);
    }
  }

  /**
   * Stops handling: messages arriving now are only journaled, the ones being handled get up to
   * `timeoutMs` to finish, and whatever has not finished then stays journaled for the next start.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#draining = true;
    if (this.#handlings.size && timeoutMs > 0) await settledWithin([...this.#handlings], timeoutMs, this.#options.clock);
    this.#closed = true;
    // Journal writes already under way land before the channels stop.
    await this.#log.write([]).catch(() => undefined);
  }

  #handle(key: string, message: InboundMessage, runId: string): void {
    const { logger } = this.#options;
    const handling = this.#options
      .route(message, runId)
      .catch((err: unknown): InboundOutcome => {
        const error = err instanceof Error ? err.message : String(err);
        logger.log('error', `channels/${message.channel}`, `inbound routing failed: ${maskDigits(error)}`);
        return { action: 'dropped', reason: `routing failed: ${error}` };
      })
      .then(async (outcome) => {
        if (!this.#closed) {
          await this.#log.write([[key, undefined]]).catch((err: unknown) => logger.log('error', `channels/${message.channel}`, `updating the inbound journal failed: ${(err as Error).message}`));
        }
        this.#options.onOutcome(message, outcome);
      })
      .finally(() => {
        this.#active.delete(key);
        this.#handlings.delete(handling);
      });
    this.#handlings.add(handling);
  }
}
