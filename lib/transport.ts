/**
 * What the core knows about a peer: how to send it a text frame, how much it has not yet
 * flushed, how to close it, and who it is. Transports own framing and sockets; everything about
 * the protocol lives in the Gateway.
 */
export interface TransportConnection {
  readonly peer: PeerInfo;
  /** Queue one text frame. Must not throw once the connection is closed (it drops the frame). */
  send(data: string): void;
  /** Bytes queued but not yet flushed to the peer; drives slow-consumer handling. */
  readonly bufferedAmount: number;
  close(code: number, reason?: string): void;
  /** Set by the core: one inbound text frame. */
  onmessage?: (data: string) => void;
  /** Set by the core: the connection is gone (either side closed it). Called once. */
  onclose?: (code: number, reason: string) => void;
}

export interface PeerInfo {
  /** Transport kind, for logs and presence (`ws`, `stdio`, `memory`). */
  readonly transport: string;
  /** Remote IP as the socket sees it (forwarded headers only when the proxy is trusted). */
  readonly remoteAddress?: string;
  /** Whether the peer counts as "local" for pairing and nonce rules (docs/protocol.md, Local peers). */
  readonly local: boolean;
  /** Browser `Origin` header, when the peer sent one. */
  readonly origin?: string;
  readonly userAgent?: string;
}

/** Anything that hands connections to a Gateway. */
export interface ConnectionSink {
  accept(connection: TransportConnection): void;
}
