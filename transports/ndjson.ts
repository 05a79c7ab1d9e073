import { Buffer } from 'node:buffer';

export interface NdjsonDecoderOptions {
  /** One complete, non-blank line, without its `\n` or trailing `\r`. */
  onLine: (line: string) => void;
  /** A line grew past `maxLineBytes`; its bytes are dropped up to the next newline. */
  onOversize?: () => void;
  /** Longest accepted line in bytes, excluding the newline. Default 512 KiB. */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into newline-delimited lines. It splits bytes, not text, so a UTF-8
 * sequence cut across chunks is decoded whole: `\n` never occurs inside a multibyte sequence.
 */
export class NdjsonDecoder {
  readonly #onLine: (line: string) => void;
  readonly #onOversize: () => void;
  readonly #maxLineBytes: number;
  #parts: Buffer[] = [];
  #size = 0;
  #discarding = false;

  constructor(options: NdjsonDecoderOptions) {
    this.#onLine = options.onLine;
    this.#onOversize = options.onOversize ?? (() => {});
    this.#maxLineBytes = options.maxLineBytes ?? 512 * 1024;
  }

  push(chunk: Buffer | string): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end === -1) {
        this.#append(bytes.subarray(start));
        return;
      }
      this.#append(bytes.subarray(start, end));
      this.#completeLine();
      start = end + 1;
    }
  }

  /** The input ended: a last line without its newline still counts. */
  end(): void {
    this.#completeLine();
  }

  #append(bytes: Buffer): void {
    if (this.#discarding || bytes.length === 0) return;
    if (this.#size + bytes.length > this.#maxLineBytes) {
      // Report as soon as the limit is crossed, so a peer cannot make us hold an endless line.
      this.#parts = [];
      this.#size = 0;
      this.#discarding = true;
      this.#onOversize();
      return;
    }
    this.#parts.push(bytes);
    this.#size += bytes.length;
  }

  #completeLine(): void {
    const line = Buffer.concat(this.#parts, this.#size).toString('utf8');
    this.#parts = [];
    this.#size = 0;
    this.#discarding = false;
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.trim() !== '') this.#onLine(text);
  }
}
