import type { GatewayConnection } from './connection.js';
import { canReceiveEvent, type AccessScope } from './method-access.js';

/** What one broadcast did: peers that were sent the frame, and slow ones that skipped it. */
export interface FanOutResult {
  recipients: number;
  dropped: number;
}

/** One event frame as each protocol sees it; the protocol 4 text is made on first need. */
export interface FrameTexts {
  v3: string;
  v4: () => string;
  /** The frame's bus cursor, and its texts for connections that asked for cursors (`connect.resume`). */
  cursor?: { value: number; v3: () => string; v4: () => string };
  /** Another form of the frame for the connections that asked for it (presence deltas). */
  variant?: FrameVariant;
}

/**
 * A frame's other form, e.g. `presence.delta` in place of `presence` (same `seq`). It carries
 * state a client cannot rebuild, so a slow consumer is closed rather than skipped.
 */
export interface FrameVariant {
  wants(conn: GatewayConnection): boolean;
  /** Made on first need and kept: the same text for every connection that wants it. */
  text(): string;
}

/**
 * Sends one event frame to every ready connection allowed to see it, in the shape of the
 * protocol it speaks. A slow consumer skips a droppable event and is closed for any other: it
 * could not follow the state without it.
 */
export function fanOut(conns: Iterable<GatewayConnection>, texts: FrameTexts, spec: { dropIfSlow: boolean; scope?: AccessScope } | undefined): FanOutResult {
  let v4: string | undefined;
  let c3: string | undefined;
  let c4: string | undefined;
  let alt: string | undefined;
  let recipients = 0;
  let dropped = 0;
  for (const conn of conns) {
    const session = conn.session;
    if (!conn.ready || !session || !canReceiveEvent(session.role, session.scopes, spec?.scope)) continue;
    if (texts.variant?.wants(conn)) {
      if (conn.sendText((alt ??= texts.variant.text()))) recipients++;
      continue;
    }
    if (conn.slow) {
      if (spec?.dropIfSlow) dropped++;
      else conn.closeSlow();
      continue;
    }
    const cursor = texts.cursor;
    if (cursor && conn.cursorAfter !== undefined) {
      // A resumed client already has what it was replayed (or saw before it moved here).
      if (cursor.value <= conn.cursorAfter) continue;
      conn.transport.send(session.protocol >= 4 ? (c4 ??= cursor.v4()) : (c3 ??= cursor.v3()));
    } else conn.transport.send(session.protocol >= 4 ? (v4 ??= texts.v4()) : texts.v3);
    recipients++;
  }
  return { recipients, dropped };
}
