import type { ErrorShape } from './protocol/generated/types.js';

/** Codes that cross the wire, exactly as the protocol spells them. */
export type WireErrorCode = 'NOT_LINKED' | 'NOT_PAIRED' | 'AGENT_TIMEOUT' | 'INVALID_REQUEST' | 'UNAVAILABLE';

/**
 * Every error code this package raises. Local-only codes never leave the process as they are:
 * `toWireError()` maps them onto a wire code. Retired codes are never reused.
 */
export type GatewayErrorCode =
  | WireErrorCode
  /** The peer connection closed while a request was pending. */
  | 'CONNECTION_CLOSED'
  /** A local deadline passed (client request timeout, handshake timeout). */
  | 'TIMEOUT'
  /** A config file or option failed validation. */
  | 'CONFIG_INVALID'
  /** Another process already listens on the gateway port. */
  | 'ADDRESS_IN_USE'
  /** The gateway or client was used after it was closed. */
  | 'CLOSED';

const WIRE_CODES: ReadonlySet<string> = new Set<WireErrorCode>([
  'NOT_LINKED',
  'NOT_PAIRED',
  'AGENT_TIMEOUT',
  'INVALID_REQUEST',
  'UNAVAILABLE',
]);

export interface GatewayErrorOptions {
  /** Structured context, sent as `error.details`. */
  details?: unknown;
  /** Sent as `error.retryable`: the same request may succeed later. */
  retryable?: boolean;
  /** Sent as `error.retryAfterMs`: how long to wait before retrying. */
  retryAfterMs?: number;
  /** The underlying error; kept locally, never sent. */
  cause?: unknown;
  /** Sent as the `payload` of the failed `res` (e.g. `agent`'s `{runId, status:"error", summary}`). */
  payload?: unknown;
}

/**
 * The one error type of this package, on both sides of the wire. A method handler throws it to
 * answer `res {ok:false, error}` (see `toWireError`), and the client rejects calls with it,
 * rebuilt from the received `ErrorShape` by {@link GatewayError.fromWire}. Anything else a handler
 * throws reaches the peer as `UNAVAILABLE` with the error's message.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  /** A wire code, or a local-only code that crosses the wire as `UNAVAILABLE`. */
  readonly code: GatewayErrorCode;
  readonly details?: unknown;
  readonly retryable?: boolean;
  readonly retryAfterMs?: number;
  readonly payload?: unknown;

  constructor(code: GatewayErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.payload !== undefined) this.payload = options.payload;
    if (options.details !== undefined) this.details = options.details;
    if (options.retryable !== undefined) this.retryable = options.retryable;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** Rebuilds an error received in a `res` frame. Unknown codes are kept verbatim in `details.wireCode`. */
  static fromWire(shape: ErrorShape): GatewayError {
    const code = WIRE_CODES.has(shape.code) ? (shape.code as WireErrorCode) : 'UNAVAILABLE';
    const details = code === shape.code ? shape.details : { wireCode: shape.code, details: shape.details };
    return new GatewayError(code, shape.message, {
      details,
      retryable: shape.retryable,
      retryAfterMs: shape.retryAfterMs,
    });
  }
}

/** The one place wire errors are built. Anything that is not a GatewayError is a handler failure. */
export function toWireError(err: unknown): ErrorShape {
  if (err instanceof GatewayError) {
    const shape: ErrorShape = {
      code: WIRE_CODES.has(err.code) ? err.code : 'UNAVAILABLE',
      message: err.message,
    };
    if (err.details !== undefined) shape.details = err.details;
    if (err.retryable !== undefined) shape.retryable = err.retryable;
    if (err.retryAfterMs !== undefined) shape.retryAfterMs = err.retryAfterMs;
    return shape;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'UNAVAILABLE', message };
}

export function invalidRequest(message: string, details?: unknown): GatewayError {
  return new GatewayError('INVALID_REQUEST', message, details === undefined ? {} : { details });
}
