import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

export interface SseEvent {
  /** `message` when the stream names none. */
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental Server-Sent Events parser: feed text as it arrives, get every event completed by
 * that chunk. Line parsing is eventsource-parser's; this wrapper adds what providers rely on and
 * the library leaves out (see the comments below).
 */
export class SseParser {
  readonly #parser: EventSourceParser;
  readonly #maxEventLength: number;
  #out: SseEvent[] = [];
  #lastId: string | undefined;
  #endsWithCr = false;
  #overflowed = false;

  /** `maxEventLength` (characters, default 8 Mi) bounds what a misbehaving upstream can make us hold. */
  constructor(options: { maxEventLength?: number } = {}) {
    this.#maxEventLength = options.maxEventLength ?? 8 * 1024 * 1024;
    this.#parser = createParser({
      maxBufferSize: this.#maxEventLength,
      onEvent: (message) => this.#out.push(this.#toEvent(message)),
      onError: (error) => {
        // Unknown fields and bad `retry` values are to be ignored per the spec; only the cap is fatal.
        if (error.type === 'max-buffer-size-exceeded') this.#overflowed = true;
      },
    });
  }

  feed(chunk: string): SseEvent[] {
    // Once over the cap the library refuses further input with its own wording; keep ours.
    if (this.#overflowed) throw this.#tooLarge();
    // An empty chunk (a decoder's final flush) must not hide a CR that ended the previous one.
    if (chunk === '') return [];
    if (!chunk.startsWith('\n')) this.#settleCr();
    this.#endsWithCr = chunk.endsWith('\r');
    this.#parser.feed(chunk);
    return this.#take();
  }

  /** End of stream: a trailing lone CR ends its line; an event without its blank line is dropped. */
  end(): SseEvent[] {
    let out: SseEvent[] = [];
    if (!this.#overflowed) {
      this.#settleCr();
      out = this.#take();
    }
    this.#parser.reset();
    return out;
  }

  /**
   * The library holds a CR that ends a chunk in case the next chunk starts with its LF, and keeps
   * holding it while later chunks bring no line break, so the line it ends (maybe the blank line
   * that dispatches an event) waits or, at the end of the stream, is lost. Once we know no LF
   * follows, we add one: CRLF is one line end, the same as the lone CR.
   */
  #settleCr(): void {
    if (!this.#endsWithCr) return;
    this.#endsWithCr = false;
    this.#parser.feed('\n');
  }

  #take(): SseEvent[] {
    const out = this.#out;
    this.#out = [];
    if (this.#overflowed) throw this.#tooLarge();
    return out;
  }

  #toEvent(message: EventSourceMessage): SseEvent {
    // The library forgets the id after each event, but the spec keeps the last one for the events
    // that follow (an empty `id:` clears it to ''). Known gap: an id sent in a block without data
    // is dropped by the library before we see it.
    if (message.id !== undefined) this.#lastId = message.id;
    const event: SseEvent = { event: message.event || 'message', data: message.data };
    if (this.#lastId !== undefined) event.id = this.#lastId;
    return event;
  }

  #tooLarge(): Error {
    return new Error(`server-sent event larger than ${this.#maxEventLength} characters`);
  }
}
