import type { ModelMessage, ToolResultMessage } from '../providers/model-provider.js';

/** Rough token count (4 characters a token, images a flat 1200): enough to stay inside a context window. */
export function estimateTokens(value: ModelMessage | string): number {
  if (typeof value === 'string') return Math.ceil(value.length / 4);
  let chars = 16;
  let extra = 0;
  const parts = typeof value.content === 'string' ? [{ type: 'text' as const, text: value.content }] : value.content;
  for (const part of parts) {
    if (part.type === 'text') chars += part.text.length;
    else if (part.type === 'thinking') chars += part.thinking.length;
    else if (part.type === 'toolCall') chars += part.name.length + JSON.stringify(part.arguments).length;
    else extra += 1200;
  }
  return Math.ceil(chars / 4) + extra;
}

/**
 * What a transcript can send to a model: empty failed replies dropped, a tool call the run never
 * answered (crash, abort) given an error result, stray tool results dropped.
 */
export function repairHistory(messages: readonly ModelMessage[]): ModelMessage[] {
  const out: ModelMessage[] = [];
  let open = new Map<string, string>();
  const closeOpen = (timestamp: number) => {
    for (const [id, name] of open) out.push(missingResult(id, name, timestamp));
    open = new Map();
  };
  for (const m of messages) {
    if (m.role === 'toolResult') {
      if (!open.has(m.toolCallId)) continue;
      open.delete(m.toolCallId);
      out.push(m);
      continue;
    }
    closeOpen(m.timestamp);
    if (m.role === 'assistant') {
      const useful = m.content.some((p) => (p.type === 'text' ? p.text.length > 0 : p.type === 'toolCall'));
      if (!useful) continue;
      for (const p of m.content) if (p.type === 'toolCall') open.set(p.id, p.name);
    }
    out.push(m);
  }
  closeOpen(messages[messages.length - 1]?.timestamp ?? 0);
  return out;
}

function missingResult(toolCallId: string, toolName: string, timestamp: number): ToolResultMessage {
  return {
    role: 'toolResult',
    toolCallId,
    toolName,
    content: [{ type: 'text', text: 'No result: the run ended before this tool call finished.' }],
    isError: true,
    timestamp,
  };
}

/**
 * The newest whole turns that fit `budgetTokens`, cut only where a user message starts (so tool
 * calls keep their results and the history starts with the user). The last turn is always kept.
 */
export function fitHistory(messages: readonly ModelMessage[], budgetTokens: number): ModelMessage[] {
  const repaired = repairHistory(messages);
  let lastUser = -1;
  for (let i = repaired.length - 1; i >= 0; i--) {
    if (repaired[i]!.role === 'user') {
      lastUser = i;
      break;
    }
  }
  if (lastUser === -1) return repaired;
  let used = 0;
  for (let i = lastUser; i < repaired.length; i++) used += estimateTokens(repaired[i]!);
  let start = lastUser;
  let pending = 0;
  for (let i = lastUser - 1; i >= 0; i--) {
    pending += estimateTokens(repaired[i]!);
    if (repaired[i]!.role !== 'user') continue;
    if (used + pending > budgetTokens) break;
    used += pending;
    pending = 0;
    start = i;
  }
  return repaired.slice(start);
}
