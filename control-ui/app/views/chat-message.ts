import type { ChatMessage } from '../../../lib/protocol/generated/types.js';

/** Text of a transcript message: a string, or the text parts of a content array. */
export function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'text' ? String((part as { text?: unknown }).text ?? '') : ''))
    .join('');
}

/** The tool calls an assistant message made (`toolCall` content parts). */
export function toolCallsOf(message: ChatMessage): Array<{ name: string }> {
  if (message.role !== 'assistant' || !Array.isArray(message.content)) return [];
  return (message.content as unknown[])
    .filter((part): part is { type: 'toolCall'; name: string } => typeof part === 'object' && part !== null && (part as { type?: unknown }).type === 'toolCall' && typeof (part as { name?: unknown }).name === 'string')
    .map((part) => ({ name: part.name }));
}

/** `main` and `agent:main:main` name the same session: the gateway's rule, for matching events to the open session. */
export function canonicalKey(key: string, agentId: string): string {
  const trimmed = key.trim();
  if (/^agent:[^:]+:/i.test(trimmed)) return trimmed.replace(/^agent:([^:]+):/i, (_, id: string) => `agent:${id.toLowerCase()}:`);
  if (trimmed === 'global' || trimmed === 'unknown') return trimmed;
  if (trimmed.toLowerCase() === 'main') return `agent:${agentId}:main`;
  return `agent:${agentId}:${trimmed}`;
}
