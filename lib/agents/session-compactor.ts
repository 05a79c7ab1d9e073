import { GatewayError } from '../errors.js';
import type { ModelMessage, ToolCallPart } from '../providers/model-provider.js';
import { textOf } from '../providers/model-provider.js';
import type { AgentService } from './agent-service.js';

export interface CompactOptions {
  /** Messages kept verbatim after the summary (default 8); the cut moves back to a user turn. */
  keep?: number;
  /** Longest the summarising call may take (default 120 s). */
  timeoutMs?: number;
}

export type CompactOutcome =
  | { compacted: false; reason: string }
  | { compacted: true; sessionId: string; summarizedMessages: number; keptMessages: number; previous: string };

const SUMMARY_SYSTEM =
  'You compress conversations. Write a faithful summary of the conversation you are given: facts, decisions, open questions, names, numbers and what the user asked for. Plain text, no preamble.';

/** The first line of the summary message the new transcript starts with. */
export const SUMMARY_HEADING = '[Summary of the earlier conversation]';

/**
 * `sessions.compact`: the older turns of a session are summarised by the agent's model, and the
 * session moves to a new transcript that starts with that summary and keeps the latest turns as
 * they were. It waits for the session's running turn; the old transcript stays on disk.
 */
export async function compactSession(service: AgentService, agentId: string, sessionKey: string, options: CompactOptions = {}): Promise<CompactOutcome> {
  const keep = options.keep ?? 8;
  return service.runner.exclusive(sessionKey, async () => {
    const entry = await service.sessions.get(agentId, sessionKey);
    if (!entry) return { compacted: false, reason: 'no such session' };
    const messages = (await service.sessions.messages(agentId, entry)).map((line) => line.message);
    const cut = cutIndex(messages, keep);
    if (cut <= 0) return { compacted: false, reason: `nothing to compact: ${messages.length} messages, ${keep} kept` };

    const model = service.runner.resolveModel(agentId, entry.modelOverride);
    const signal = AbortSignal.timeout(options.timeoutMs ?? 120_000);
    let summary = '';
    for await (const event of model.provider.stream({
      model: model.model,
      system: SUMMARY_SYSTEM,
      messages: [{ role: 'user', content: transcriptText(messages.slice(0, cut)), timestamp: service.gateway.clock.now() }],
      signal,
    })) {
      if (event.type === 'text') summary += event.delta;
    }
    summary = summary.trim();
    if (!summary) throw new GatewayError('UNAVAILABLE', `the model ${model.ref} returned an empty summary; the session was left as it was`);
    const kept = messages.slice(cut);
    const summaryMessage: ModelMessage = { role: 'user', content: `${SUMMARY_HEADING}\n${summary}`, timestamp: service.gateway.clock.now() };
    const { entry: next, previous } = await service.sessions.rewrite(agentId, sessionKey, [summaryMessage, ...kept], { totalTokens: 0 });
    return { compacted: true, sessionId: next.sessionId, summarizedMessages: cut, keptMessages: kept.length, previous };
  });
}

/**
 * Where the kept tail starts: at most `keep` messages from the end, moved back to a user message
 * so no tool result is separated from the call it answers.
 */
function cutIndex(messages: readonly ModelMessage[], keep: number): number {
  let cut = Math.max(0, messages.length - keep);
  while (cut > 0 && messages[cut]?.role !== 'user') cut--;
  return cut;
}

function transcriptText(messages: readonly ModelMessage[]): string {
  return messages
    .map((message) => {
      if (message.role === 'toolResult') return `Tool result: ${textOf(message.content)}`;
      if (message.role === 'assistant') {
        const calls = message.content.filter((part): part is ToolCallPart => part.type === 'toolCall').map((call) => `${call.name}(${JSON.stringify(call.arguments)})`);
        return `Assistant: ${textOf(message.content)}${calls.length ? `\n[called ${calls.join(', ')}]` : ''}`;
      }
      return `User: ${textOf(message.content)}`;
    })
    .join('\n\n');
}
