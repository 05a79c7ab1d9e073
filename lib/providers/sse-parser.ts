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
  #event = '';
  #id: string | undefined;
  #sawData = false;

  feed(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const ch = this.#buffer.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (ch === 13 && i === this.#buffer.length - 1) break;
      this.#line(this.#buffer.slice(start, i), out);
      if (ch === 13 && this.#buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    this.#buffer = this.#buffer.slice(start);
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
    this.#event = '';
    this.#sawData = false;
  }
}
