import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { MAX_FRAMES_BEFORE_HELLO } from '../lib/connection.js';
import type { ConnectionSink, TransportConnection } from '../lib/transport.js';

export interface PendingConnectionQueueOptions {
  /** How long a connection may wait for a gateway before it is told to come back (1013). */
  maxWaitMs: number;
  /** Connections waiting at most; more are told to come back (1013) at once. Default 1024. */
  maxPending?: number;
  clock?: Clock;
}

interface Pending {
  conn: TransportConnection;
  frames: string[];
  timer: TimerHandle;
}

/**
 * Connections that arrive while no gateway is ready to take them (the port is open while the
 * gateway and its channels start, or mid-restart). Closing them at once would fail every client
 * that connects right after the port opens (a supervisor's probe, the CLI, a reconnecting app), so
 * they wait here, frames kept, and are handed over once a gateway is ready; only one that waited
 * longer than a handshake may take is closed with 1013.
 */
export class PendingConnectionQueue {
  readonly #pending = new Set<Pending>();
  readonly #maxWaitMs: number;
  readonly #maxPending: number;
  readonly #clock: Clock;

  constructor(options: PendingConnectionQueueOptions) {
    this.#maxWaitMs = options.maxWaitMs;
    this.#maxPending = options.maxPending ?? 1024;
    this.#clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.#pending.size;
  }

  hold(conn: TransportConnection): void {
    if (this.#pending.size >= this.#maxPending) {
      conn.close(1013, 'gateway starting');
      return;
    }
    const entry: Pending = {
      conn,
      frames: [],
      timer: this.#clock.setTimeout(() => {
        this.#pending.delete(entry);
        conn.close(1013, 'gateway starting');
      }, this.#maxWaitMs),
    };
    // What an unauthenticated client may send before hello-ok anyway (frames are size-limited by the transport).
    conn.onmessage = (data) => {
      if (entry.frames.length < MAX_FRAMES_BEFORE_HELLO) {
        entry.frames.push(data);
        return;
      }
      this.#drop(entry);
      conn.close(1008, 'too many frames before hello-ok');
    };
    conn.onclose = () => this.#drop(entry);
    this.#pending.add(entry);
  }

  /** Hands every waiting connection to the sink, replaying what each sent while it waited. */
  release(sink: ConnectionSink): void {
    for (const entry of [...this.#pending]) {
      this.#pending.delete(entry);
      this.#clock.clearTimeout(entry.timer);
      const conn: TransportConnection = entry.conn;
      conn.onmessage = undefined;
      conn.onclose = undefined;
      sink.accept(conn);
      // The sink installed its own handlers (unless it refused the connection).
      for (const frame of entry.frames) (conn.onmessage as ((data: string) => void) | undefined)?.(frame);
    }
  }

  #drop(entry: Pending): void {
    this.#clock.clearTimeout(entry.timer);
    this.#pending.delete(entry);
  }

  /** Closes every waiting connection (the runtime stopped, or its start failed). */
  closeAll(code: number, reason: string): void {
    for (const entry of [...this.#pending]) {
      this.#pending.delete(entry);
      this.#clock.clearTimeout(entry.timer);
      entry.conn.close(code, reason);
    }
  }
}
