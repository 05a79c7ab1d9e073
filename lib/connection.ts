import type { TimerHandle } from './clock.js';
import { toWireError } from './errors.js';
import type { ClientSession } from './method-context.js';
import { CloseCode } from './protocol/index.js';
import type { TransportConnection } from './transport.js';
import { payloadJson } from './sealed-payload.js';

export type ConnectionPhase = 'handshake' | 'connecting' | 'ready' | 'closed';

/** Frames a peer may send while its connect is still being checked; real clients wait for hello-ok. */
export const MAX_FRAMES_BEFORE_HELLO = 32;

/**
 * One transport connection as the gateway tracks it: its handshake phase, its session once
 * authenticated, and the frames that arrived while the connect checks ran.
 */
export class GatewayConnection {
  readonly connId: string;
  readonly nonce: string;
  readonly transport: TransportConnection;
  phase: ConnectionPhase = 'handshake';
  handshakeTimer?: TimerHandle;
  queued: string[] = [];
  session?: ClientSession;
  presenceKey?: string;
  /** Sent `caps: ["presence-deltas"]` in its connect: gets `presence.delta` in place of `presence`. */
  presenceDeltas?: boolean;
  /**
   * Set for a client that asked for event cursors (`connect.resume`): its frames carry `cursor`,
   * and frames at or below this one (already replayed or seen elsewhere) are not sent again.
   */
  cursorAfter?: number;
  /** The gateway has closed it: nothing more is sent or run for it, even before the transport reports the close. */
  closing = false;
  readonly #maxBufferedBytes: number;
  readonly #onSlow: (conn: GatewayConnection) => void;

  constructor(options: {
    transport: TransportConnection;
    connId: string;
    nonce: string;
    maxBufferedBytes: number;
    /** Called before a slow consumer is closed (for the log). */
    onSlow: (conn: GatewayConnection) => void;
  }) {
    this.transport = options.transport;
    this.connId = options.connId;
    this.nonce = options.nonce;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#onSlow = options.onSlow;
  }

  get ready(): boolean {
    return this.phase === 'ready' && this.session !== undefined;
  }

  /** Whether the peer has stopped reading: more than the policy's buffer is waiting for it. */
  get slow(): boolean {
    return this.transport.bufferedAmount > this.#maxBufferedBytes;
  }

  /** Responses are never dropped; a peer that stopped reading is closed instead of buffered forever. */
  sendText(text: string): boolean {
    if (this.phase === 'closed' || this.closing) return false;
    if (this.slow) {
      this.closeSlow();
      return false;
    }
    this.transport.send(text);
    return true;
  }

  sendRes(id: string, ok: boolean, payload?: unknown, error?: unknown): void {
    // Built by hand so a sealed payload's JSON is spliced in, not serialized again.
    const body = payload === undefined ? undefined : payloadJson(payload);
    const tail = error === undefined ? '}' : `,"error":${JSON.stringify(toWireError(error))}}`;
    this.sendText(`{"type":"res","id":${JSON.stringify(id)},"ok":${ok}${body === undefined ? '' : `,"payload":${body}`}${tail}`);
  }

  closeSlow(): void {
    if (this.closing) return;
    this.#onSlow(this);
    this.close(CloseCode.PolicyViolation, 'slow consumer');
  }

  close(code: number, reason: string): void {
    this.closing = true;
    this.transport.close(code, reason);
  }
}
