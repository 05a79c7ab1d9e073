import type { ConnectionSink, PeerInfo, TransportConnection } from './transport.js';

export interface MemoryPairOptions {
  /** Whether the server end counts as a local peer (docs/protocol.md, Local peers). Default true. */
  local?: boolean;
  remoteAddress?: string;
  origin?: string;
  userAgent?: string;
}

/** Two connected ends: hand `server` to a Gateway (`gateway.accept`), talk through `client`. */
export interface MemoryPair {
  server: TransportConnection;
  client: MemoryClientSocket;
}

/**
 * A connected pair with no sockets, for tests and embedding. Frames are delivered on a microtask,
 * in order, so callers see the same interleavings a real socket gives them.
 */
export function createMemoryPair(options: MemoryPairOptions = {}): MemoryPair {
  const peer: PeerInfo = {
    transport: 'memory',
    local: options.local ?? true,
    ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
  };
  const client = new MemoryClientSocket();
  const server = new MemoryServerConnection(peer, client);
  return { server, client };
}

/** Creates a pair, hands the server end to `sink`, and returns the client end. */
export function connectMemory(sink: ConnectionSink, options?: MemoryPairOptions): MemoryClientSocket {
  const { server, client } = createMemoryPair(options);
  sink.accept(server);
  return client;
}

interface CloseFrame {
  code: number;
  reason: string;
}

/**
 * The server-facing half of a pair. Both halves talk through the client object's internal port,
 * which is the one place that knows about queues and close state.
 */
class MemoryServerConnection implements TransportConnection {
  readonly peer: PeerInfo;
  onmessage?: (data: string) => void;
  onclose?: (code: number, reason: string) => void;
  readonly #port: ClientPort;

  constructor(peer: PeerInfo, client: MemoryClientSocket) {
    this.peer = peer;
    this.#port = clientPorts.get(client)!;
    this.#port.attach(this);
  }

  get bufferedAmount(): number {
    return this.#port.bufferedAmount();
  }

  send(data: string): void {
    this.#port.deliver(data);
  }

  close(code: number, reason = ''): void {
    this.#port.closeFromServer({ code, reason });
  }
}

interface ClientPort {
  attach(server: MemoryServerConnection): void;
  deliver(data: string): void;
  bufferedAmount(): number;
  closeFromServer(frame: CloseFrame): void;
}

/** Internal wiring between the two halves, kept off the public client surface. */
const clientPorts = new WeakMap<MemoryClientSocket, ClientPort>();

/**
 * The client end of a memory pair, shaped like a WebSocket. `pause()` makes it a slow consumer:
 * frames from the server queue up and count toward the server end's `bufferedAmount` until
 * `resume()`.
 */
export class MemoryClientSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  onmessage?: (data: string) => void;
  onclose?: (code: number, reason: string) => void;
  #readyState: number = MemoryClientSocket.OPEN;
  #server?: MemoryServerConnection;
  #serverClosed = false;
  #paused = false;
  #queue: string[] = [];
  #queuedBytes = 0;
  /** A close from the server waits behind the frames queued before it, like a close frame. */
  #pendingClose?: CloseFrame;

  constructor() {
    clientPorts.set(this, {
      attach: (server) => {
        this.#server = server;
      },
      deliver: (data) => this.#deliver(data),
      bufferedAmount: () => this.#queuedBytes,
      closeFromServer: (frame) => this.#closeFromServer(frame),
    });
  }

  get readyState(): number {
    return this.#readyState;
  }

  send(data: string): void {
    if (this.#readyState !== MemoryClientSocket.OPEN) return;
    queueMicrotask(() => {
      if (!this.#serverClosed) this.#server?.onmessage?.(data);
    });
  }

  close(code = 1000, reason = ''): void {
    if (this.#readyState !== MemoryClientSocket.OPEN) return;
    this.#readyState = MemoryClientSocket.CLOSING;
    // Frames the client never read die with it, as they would in a socket's receive buffer.
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#pendingClose = undefined;
    queueMicrotask(() => {
      this.#closeServer({ code, reason });
      this.#finish({ code, reason });
    });
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#queue.length > 0 || this.#pendingClose) queueMicrotask(() => this.#flush());
  }

  #deliver(data: string): void {
    if (this.#serverClosed || this.#pendingClose || this.#readyState !== MemoryClientSocket.OPEN) return;
    if (this.#paused || this.#queue.length > 0) {
      this.#queue.push(data);
      this.#queuedBytes += utf8Length(data);
      return;
    }
    queueMicrotask(() => {
      if (this.#readyState === MemoryClientSocket.OPEN) this.onmessage?.(data);
    });
  }

  #flush(): void {
    while (!this.#paused && this.#queue.length > 0 && this.#readyState === MemoryClientSocket.OPEN) {
      const data = this.#queue.shift()!;
      this.#queuedBytes -= utf8Length(data);
      this.onmessage?.(data);
    }
    if (!this.#paused && this.#queue.length === 0 && this.#pendingClose) this.#finish(this.#pendingClose);
  }

  #closeFromServer(frame: CloseFrame): void {
    if (this.#serverClosed || this.#pendingClose || this.#readyState !== MemoryClientSocket.OPEN) return;
    this.#pendingClose = frame;
    queueMicrotask(() => this.#closeServer(frame));
    if (!this.#paused && this.#queue.length === 0) queueMicrotask(() => this.#finish(frame));
  }

  #closeServer(frame: CloseFrame): void {
    if (this.#serverClosed) return;
    this.#serverClosed = true;
    this.#server?.onclose?.(frame.code, frame.reason);
  }

  #finish(frame: CloseFrame): void {
    if (this.#readyState === MemoryClientSocket.CLOSED) return;
    this.#readyState = MemoryClientSocket.CLOSED;
    this.#pendingClose = undefined;
    this.onclose?.(frame.code, frame.reason);
  }
}

const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).byteLength;
}
