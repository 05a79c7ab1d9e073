export interface SseEvent {
  /** `message` when the stream names none. */
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental Server-Sent Events parser (WHATWG rules): feed text as it arrives, get every event
 * completed by that chunk. Lines may end in LF, CRLF or CR, also split across chunks.
 */
export class SseParser {
  #buffer = '';
  #data: string[] = [];
  #dataLength = 0;
  #event = '';
  #id: string | undefined;
  #sawData = false;
  readonly #maxEventLength: number;

  /** `maxEventLength` (characters, default 8 Mi) bounds what a misbehaving upstream can make us hold. */
  constructor(options: { maxEventLength?: number } = {}) {
    this.#maxEventLength = options.maxEventLength ?? 8 * 1024 * 1024;
  }

  feed(chunk: string): SseEvent[] {
    // What is left from earlier chunks holds no line break (but maybe a final CR), so scanning
    // resumes at its end instead of re-reading a long line on every chunk.
    const resumeAt = Math.max(0, this.#buffer.length - 1);
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = resumeAt; i < this.#buffer.length; i++) {
      const ch = this.#buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (ch === 13 && i === this.#buffer.length - 1) break;
      this.#line(this.#buffer.slice(start, i), out);
      if (ch === 13 && this.#buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length + this.#dataLength > this.#maxEventLength) {
      throw new Error(`server-sent event larger than ${this.#maxEventLength} characters`);
    }
    return out;
  }

  /** End of stream: a trailing lone CR ends its line; an event without its blank line is dropped. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.#buffer.endsWith('\r')) this.#line(this.#buffer.slice(0, -1), out);
    this.#buffer = '';
    this.#reset();
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#sawData) {
        const event: SseEvent = { event: this.#event || 'message', data: this.#data.join('\n') };
        if (this.#id !== undefined) event.id = this.#id;
        out.push(event);
      }
      this.#reset();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        this.#dataLength += value.length + 1;
        this.#sawData = true;
        break;
      case 'event':
        this.#event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        break;
    }
  }

  #reset(): void {
    this.#data = [];
    this.#dataLength = 0;
    this.#event = '';
    this.#sawData = false;
  }
}
