import type { AgentEventPayload, ChatEventPayload } from './generated/types.js';

/**
 * How an event payload looks to a protocol 4 client, where v4 closed a shape that protocol 3
 * left open or shaped differently; undefined when both protocols get the same payload.
 * - `agent`: v4 has no `sessionKey` on agent events.
 * - `chat` deltas: v4 requires `deltaText`; ours carry the text so far, so it is that text with
 *   `replace: true`.
 */
export function v4EventPayload(event: string, payload: unknown): unknown {
  if (event === 'agent') {
    const { sessionKey: _sessionKey, ...rest } = payload as AgentEventPayload;
    return rest;
  }
  if (event === 'chat') {
    const chat = payload as ChatEventPayload;
    if (chat.state !== 'delta') return undefined;
    return { ...chat, deltaText: deltaTextOf(chat.message), replace: true };
  }
  return undefined;
}

function deltaTextOf(message: ChatEventPayload['message']): string {
  const content = (message as { content?: unknown } | undefined)?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { type?: string; text?: unknown }) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}
