import type { ChannelAccountSnapshot, ChannelSummary } from '../protocol/generated/types.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

/** How long a connection must stay up before a drop counts as a fresh start of the backoff. */
const STABLE_MS = 60_000;

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
  /** The network last confirmed a delivery (Bot API answer, WhatsApp server ack). */
  lastAckAt: number | null = null;
  /** The watchdog last probed a silent connection. */
  lastProbeAt: number | null = null;
  /** Failed (re)connection attempts since the last success. */
  attempt = 0;
  /** When the next (re)connection attempt is due, while one is scheduled. */
  retryAt: number | null = null;
  /**
   * Drops since the connection last stayed up for a minute: it sets the backoff, so a link that
   * flaps (opens, drops at once) is redialled ever more slowly instead of at the first delay.
   */
  #streak = 0;
  #connectedSince: number | null = null;

  /** Connected now; returns whether that is news (it was down or reporting an error). */
  markConnected(now: number): boolean {
    this.attempt = 0;
    this.retryAt = null;
    this.#connectedSince ??= now;
    if (this.connected && this.lastError === null) return false;
    if (!this.connected) this.lastConnectedAt = now;
    this.connected = true;
    this.lastError = null;
    return true;
  }

  /** Counts a failed or lost connection and returns the capped delay before the next attempt. */
  retryDelay(now: number, backoff?: BackoffOptions): number {
    if (this.#connectedSince !== null && now - this.#connectedSince >= STABLE_MS) this.#streak = 0;
    this.#connectedSince = null;
    this.attempt++;
    const delay = backoffDelay(this.#streak++, backoff);
    this.retryAt = now + delay;
    return delay;
  }

  /** For a send refused while down: when trying again makes sense (at least a second from now). */
  retryAfterMs(now: number): number {
    return Math.max(1000, (this.retryAt ?? now) - now);
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
      lastAckAt: this.lastAckAt,
      lastProbeAt: this.lastProbeAt,
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

/** A channel's summary over its accounts' snapshots (`channels.status`, `health`). */
export function summarizeAccounts(snapshots: ChannelAccountSnapshot[]): ChannelSummary {
  const linked = snapshots.filter((s) => s.linked !== undefined);
  return {
    configured: snapshots.some((s) => s.configured),
    enabled: snapshots.some((s) => s.enabled),
    ...(linked.length ? { linked: linked.some((s) => s.linked) } : {}),
    running: snapshots.some((s) => s.running),
    connected: snapshots.some((s) => s.connected),
    lastError: snapshots.find((s) => s.lastError)?.lastError ?? null,
    lastMessageAt: snapshots.reduce<number | null>((acc, s) => latestTime(acc, s.lastMessageAt), null),
  };
}
