import type { AgentService } from '../agents/agent-service.js';
import type { SessionRow } from '../protocol/generated/types.js';
import { textOf } from '../providers/model-provider.js';

export interface SessionDigestOptions {
  /** Adds `derivedTitle`: the first user message. */
  titles?: boolean;
  /** Adds `lastMessagePreview`: the newest message with text. */
  lastMessage?: boolean;
}

const TITLE_CHARS = 60;
const PREVIEW_CHARS = 160;

/** One line of a message's text, whitespace folded, cut at `max` characters with an ellipsis. */
export function clipText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * Adds what protocol 4 clients may ask a session row to carry from its transcript. Reads each
 * transcript only when asked, so plain listings stay index-only.
 */
export async function withDigest(service: AgentService, row: SessionRow, options: SessionDigestOptions): Promise<SessionRow> {
  if (!options.titles && !options.lastMessage) return row;
  const entry = await service.sessions.get(row.agentId, row.key);
  if (!entry) return row;
  const lines = await service.sessions.messages(row.agentId, entry);
  const out: SessionRow = { ...row };
  if (options.titles) {
    const first = lines.find((l) => l.message.role === 'user' && textOf(l.message.content).trim());
    if (first) out.derivedTitle = clipText(textOf(first.message.content), TITLE_CHARS);
  }
  if (options.lastMessage) {
    for (let i = lines.length - 1; i >= 0; i--) {
      const text = textOf(lines[i]!.message.content);
      if (text.trim()) {
        out.lastMessagePreview = clipText(text, PREVIEW_CHARS);
        break;
      }
    }
  }
  return out;
}

/** Digests read at most this many transcripts per listing, a few at a time; later rows go without. */
export const MAX_DIGESTED_ROWS = 200;
const DIGEST_CONCURRENCY = 8;

/** `withDigest` over a page of rows, bounded: a listing never reads every transcript there is. */
export async function withDigests(service: AgentService, rows: readonly SessionRow[], options: SessionDigestOptions): Promise<SessionRow[]> {
  if (!options.titles && !options.lastMessage) return [...rows];
  const out = [...rows];
  const limit = Math.min(rows.length, MAX_DIGESTED_ROWS);
  for (let i = 0; i < limit; i += DIGEST_CONCURRENCY) {
    const batch = await Promise.all(rows.slice(i, Math.min(limit, i + DIGEST_CONCURRENCY)).map((row) => withDigest(service, row, options)));
    out.splice(i, batch.length, ...batch);
  }
  return out;
}
