/**
 * The stdio transport: {@link StdioTransport} serves one peer over a pair of byte streams (by
 * default this process's stdin/stdout), one JSON frame per line.
 *
 * @module clawgate/transports/stdio
 */
import type { Readable, Writable } from 'node:stream';
import { CloseCode } from '../lib/protocol/index.js';
import type { ConnectionSink, PeerInfo, TransportConnection } from '../lib/transport.js';
import { NdjsonDecoder } from './ndjson.js';

export interface StdioTransportOptions {
  sink: ConnectionSink;
  /** Where frames come from, one JSON object per line. Default `process.stdin`. */
  input?: Readable;
  /** Where frames go, one per line. Default `process.stdout`, which is never ended. */
  output?: Writable;
  /** Longest accepted inbound line in bytes; a longer one closes the connection with 1009. Default 512 KiB. */
  maxLineBytes?: number;
}

/** How the connection ended, as its `onclose` reported it. */
type CloseResult = { code: number; reason: string };

/**
 * Serves exactly one peer over a pair of byte streams (a parent process talking to our
 * stdin/stdout, or any injected streams), framed as newline-delimited JSON.
 */
export class StdioTransport {
  /** Resolves once the connection is gone, whoever ended it. */
  readonly closed: Promise<CloseResult>;
  readonly #options: StdioTransportOptions;
  readonly #resolveClosed: (close: CloseResult) => void;
  #connection?: StdioConnection;
  #closedBeforeStart = false;

  constructor(options: StdioTransportOptions) {
    this.#options = options;
    let resolveClosed!: (close: CloseResult) => void;
    this.closed = new Promise((resolve) => {
      resolveClosed = resolve;
    });
    this.#resolveClosed = resolveClosed;
  }

  /** Creates the one connection and hands it to the sink, then starts reading. */
  start(): void {
    if (this.#connection || this.#closedBeforeStart) throw new Error('StdioTransport can only be started once');
    const output = this.#options.output ?? process.stdout;
    this.#connection = new StdioConnection({
      input: this.#options.input ?? process.stdin,
      output,
      // The process's own stdio belongs to the host; only streams handed to us are ours to end.
      endOutput: output !== process.stdout && output !== process.stderr,
      maxLineBytes: this.#options.maxLineBytes ?? 512 * 1024,
      onFinished: this.#resolveClosed,
    });
    this.#options.sink.accept(this.#connection);
    this.#connection.listen();
  }

  /** Closes the connection (or prevents it, before `start()`) and waits for its `onclose`. */
  close(code: number = CloseCode.Normal, reason = ''): Promise<CloseResult> {
    if (this.#connection) this.#connection.close(code, reason);
    else if (!this.#closedBeforeStart) {
      this.#closedBeforeStart = true;
      this.#resolveClosed({ code, reason });
    }
    return this.closed;
  }
}

/** RFC 6455's code for a connection that ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;

interface StdioConnectionOptions {
  input: Readable;
  output: Writable;
  endOutput: boolean;
  maxLineBytes: number;
  onFinished: (close: CloseResult) => void;
}

class StdioConnection implements TransportConnection {
  readonly peer: PeerInfo = { transport: 'stdio', local: true };
  onmessage?: (data: string) => void;
  onclose?: (code: number, reason: string) => void;
  readonly #options: StdioConnectionOptions;
  readonly #decoder: NdjsonDecoder;
  #closed = false;

  constructor(options: StdioConnectionOptions) {
    this.#options = options;
    this.#decoder = new NdjsonDecoder({
      maxLineBytes: options.maxLineBytes,
      onLine: (line) => {
        if (!this.#closed) this.onmessage?.(line);
      },
      onOversize: () => this.close(CloseCode.MessageTooBig, 'message too big'),
    });
  }

  get bufferedAmount(): number {
    return this.#options.output.writableLength;
  }

  listen(): void {
    const { input, output } = this.#options;
    input.on('data', this.#onData);
    input.on('end', this.#onEnd);
    input.on('close', this.#onAbort);
    input.on('error', this.#onAbort);
    output.on('close', this.#onAbort);
    output.on('error', this.#onAbort);
    input.resume();
  }

  send(data: string): void {
    if (this.#closed) return;
    this.#options.output.write(`${data}\n`);
  }

  close(code: number, reason = ''): void {
    this.#finish(code, reason);
  }

  readonly #onData = (chunk: Buffer | string): void => {
    this.#decoder.push(chunk);
  };

  readonly #onEnd = (): void => {
    this.#decoder.end();
    this.#finish(CloseCode.Normal, '');
  };

  /** The stream died without a clean end of input (destroyed, EPIPE, …). */
  readonly #onAbort = (): void => {
    this.#finish(ABNORMAL_CLOSURE, '');
  };

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const { input, output } = this.#options;
    input.off('data', this.#onData);
    input.off('end', this.#onEnd);
    input.off('close', this.#onAbort);
    input.off('error', this.#onAbort);
    output.off('close', this.#onAbort);
    output.off('error', this.#onAbort);
    // Writes still in flight fail once the peer is gone (EPIPE); that is expected now, not a crash.
    output.on('error', ignoreLateWriteError);
    // Pausing, not destroying: stdin stays usable by the host, and a paused stdin lets the process exit.
    input.pause();
    if (this.#options.endOutput) output.end();
    // Asynchronous like a socket's close event, so a close() from inside onmessage does not re-enter the core.
    queueMicrotask(() => {
      this.onclose?.(code, reason);
      this.#options.onFinished({ code, reason });
    });
  }
}

function ignoreLateWriteError(): void {}
