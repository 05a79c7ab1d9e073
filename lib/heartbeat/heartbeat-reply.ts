/** What an agent answers when a heartbeat finds nothing to do. */
export const HEARTBEAT_TOKEN = 'HEARTBEAT_OK';

export type HeartbeatReply = { kind: 'empty' } | { kind: 'ack' } | { kind: 'message'; text: string };

// Models dress the token up: **HEARTBEAT_OK**, `HEARTBEAT_OK`, "HEARTBEAT_OK.".
const EDGE_TOKEN = new RegExp(`^[\\s*_\`"'>]*${HEARTBEAT_TOKEN}[\\s*_\`"'.!]*`);
const TAIL_TOKEN = new RegExp(`[\\s*_\`"'>]*${HEARTBEAT_TOKEN}[\\s*_\`"'.!]*$`);

/**
 * A reply that starts or ends with HEARTBEAT_OK is an acknowledgement when what is left has at
 * most `ackMaxChars` characters; otherwise what is left is the message. The token in the middle
 * of a text is just text.
 */
export function classifyHeartbeatReply(text: string, ackMaxChars: number): HeartbeatReply {
  const trimmed = text.trim();
  if (!trimmed) return { kind: 'empty' };
  const rest = trimmed.replace(EDGE_TOKEN, '').replace(TAIL_TOKEN, '').trim();
  if (rest === trimmed) return { kind: 'message', text: trimmed };
  if (rest.length <= ackMaxChars) return { kind: 'ack' };
  return { kind: 'message', text: rest };
}
