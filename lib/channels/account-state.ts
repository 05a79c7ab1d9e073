import type { ChannelAccountSnapshot } from '../protocol/generated/types.js';

/**
 * The connection facts every channel account tracks, and the part of its status snapshot they
 * make. Adapters own one each and add their own fields to the snapshot.
 */
export class ChannelAccountState {
  running = false;
  connected = false;
  lastError: string | null = null;
  lastConnectedAt: number | null = null;
  lastInboundAt: number | null = null;
  lastOutboundAt: number | null = null;
  /** Failed (re)connection attempts since the last success. */
  attempt = 0;

  /** Connected now; returns whether that is news (it was down or reporting an error). */
  markConnected(now: number): boolean {
    this.attempt = 0;
    if (this.connected && this.lastError === null) return false;
    if (!this.connected) this.lastConnectedAt = now;
    this.connected = true;
    this.lastError = null;
    return true;
  }

  snapshot(accountId: string): ChannelAccountSnapshot {
    return {
      accountId,
      enabled: true,
      configured: true,
      running: this.running,
      connected: this.connected,
      lastError: this.lastError,
      lastMessageAt: latestTime(this.lastInboundAt, this.lastOutboundAt),
      lastInboundAt: this.lastInboundAt,
      lastOutboundAt: this.lastOutboundAt,
      lastConnectedAt: this.lastConnectedAt,
      reconnectAttempts: this.attempt,
    };
  }
}

/** The later of two optional timestamps. */
export function latestTime(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return Math.max(a, b);
}
