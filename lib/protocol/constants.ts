// Apart from the schema module so the client (and `openclaw health`) can use them without loading
// the whole protocol schema.

/** Protocol versions this gateway speaks; it answers with the highest one the client accepts. */
export const SUPPORTED_PROTOCOLS = [3, 4] as const;

export const DEFAULT_POLICY = {
  maxPayload: 512 * 1024,
  maxBufferedBytes: 1.5 * 1024 * 1024,
  tickIntervalMs: 30_000,
} as const;

export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Close codes the gateway uses (docs/protocol.md, Close codes). */
export const CloseCode = {
  Normal: 1000,
  ProtocolError: 1002,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  ServiceRestart: 1012,
  TickTimeout: 4000,
} as const;
