import { describe, expect, it } from 'vitest';
import type { ModelMessage } from '../../../lib/providers/model-provider.js';
import { estimateTokens, fitHistory, repairHistory } from '../../../lib/sessions/history-window.js';

const user = (text: string, t = 0): ModelMessage => ({ role: 'user', content: text, timestamp: t });
const reply = (text: string, t = 0): ModelMessage => ({ role: 'assistant', content: [{ type: 'text', text }], stopReason: 'stop', timestamp: t });

describe('history window', () => {
  it('keeps the newest whole turns that fit and always the current turn', () => {
    const big = 'x'.repeat(4000);
    const history = [user(big, 1), reply(big, 2), user('second', 3), reply('answer', 4), user('now', 5)];
    expect(fitHistory(history, 100_000)).toEqual(history);
    const small = fitHistory(history, estimateTokens(history[2]!) + estimateTokens(history[3]!) + estimateTokens(history[4]!));
    expect(small).toEqual(history.slice(2));
    expect(fitHistory(history, 1)).toEqual([history[4]]);
  });

  it('never starts with an orphan tool result and closes unanswered tool calls', () => {
    const call: ModelMessage = { role: 'assistant', content: [{ type: 'toolCall', id: 'c1', name: 'nodes', arguments: {} }], stopReason: 'toolUse', timestamp: 2 };
    const repaired = repairHistory([
      { role: 'toolResult', toolCallId: 'stray', toolName: 'x', content: [], isError: false, timestamp: 0 },
      user('q', 1),
      call,
      { role: 'assistant', content: [], stopReason: 'error', errorMessage: 'boom', timestamp: 3 },
      user('again', 4),
    ]);
    expect(repaired.map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'user']);
    expect(repaired[2]).toMatchObject({ toolCallId: 'c1', isError: true });
  });
});
