import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUMMARY_HEADING } from '../../../lib/agents/session-compactor.js';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';

const { start } = agentGatewayPerTest();

describe('sessions.compact against a local OpenAI-compatible stand-in', () => {
  it('summarises the older turns through the model, keeps the latest verbatim, and chat.history reads the new transcript', async () => {
    const h = await start();
    h.model.script({ text: ['A1'] }, { text: ['A2'] }, { text: ['A3'] }, { text: ['The user likes tea and lives in Lisbon.'] }, { text: ['Tea it is.'] });
    const peer = await h.connect();
    for (const [i, text] of ['I like tea', 'I live in Lisbon', 'What should I drink?'].entries()) {
      await h.final(peer, h.send(peer, 'agent', { message: text, idempotencyKey: `c${i}` }));
    }
    const before = (await h.request(peer, 'sessions.list', {})).payload.sessions[0];

    const compact = await h.request(peer, 'sessions.compact', { key: 'main', maxLines: 2 });
    expect(compact.payload).toMatchObject({ ok: true, key: 'agent:main:main', compacted: true, summarizedMessages: 4, keptMessages: 2, archived: [expect.stringContaining(`${before.sessionId}.jsonl`)] });
    expect(existsSync(compact.payload.archived[0])).toBe(true);
    const summaryRequest = h.model.requests.at(-1)!.body;
    expect(summaryRequest.messages[0].role).toBe('system');
    expect(summaryRequest.messages.at(-1).content).toContain('User: I like tea');
    expect(summaryRequest.messages.at(-1).content).toContain('Assistant: A2');
    expect(summaryRequest.messages.at(-1).content).not.toContain('What should I drink?');

    const history = (await h.request(peer, 'chat.history', { sessionKey: 'main' })).payload;
    expect(history.sessionId).toBe(compact.payload.sessionId);
    expect(history.messages.map((m: any) => [m.role, typeof m.content === 'string' ? m.content : m.content[0].text])).toEqual([
      ['user', `${SUMMARY_HEADING}\nThe user likes tea and lives in Lisbon.`],
      ['user', 'What should I drink?'],
      ['assistant', 'A3'],
    ]);

    // The next turn starts from the summary and the kept turns, not the whole old transcript.
    await h.final(peer, h.send(peer, 'agent', { message: 'Thanks', idempotencyKey: 'c9' }));
    const next = h.model.requests.at(-1)!.body.messages.map((m: any) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
    expect(next.join('\n')).toContain('The user likes tea and lives in Lisbon.');
    expect(next.join('\n')).not.toContain('I live in Lisbon');
  });

  it('leaves a short session alone and says why', async () => {
    const h = await start();
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'hi', idempotencyKey: 's1' }));
    const result = await h.request(peer, 'sessions.compact', { key: 'main' });
    expect(result.payload).toEqual({ ok: true, key: 'agent:main:main', compacted: false, reason: 'nothing to compact: 2 messages, 8 kept' });
    const missing = await h.request(peer, 'sessions.compact', { key: 'agent:main:none' });
    expect(missing.payload).toMatchObject({ compacted: false, reason: 'no such session' });
  });

  it('keeps the session as it was when the model fails', async () => {
    const h = await start();
    h.model.script({ text: ['A1'] }, { text: ['A2'] }, { status: 500, errorBody: { error: { message: 'boom' } } });
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'one', idempotencyKey: 'f1' }));
    await h.final(peer, h.send(peer, 'agent', { message: 'two', idempotencyKey: 'f2' }));
    const before = (await h.request(peer, 'chat.history', { sessionKey: 'main' })).payload;
    const failed = await h.request(peer, 'sessions.compact', { key: 'main', maxLines: 1 });
    expect(failed.ok).toBe(false);
    expect(failed.error.code).toBe('UNAVAILABLE');
    const after = (await h.request(peer, 'chat.history', { sessionKey: 'main' })).payload;
    // The same transcript and session; only the row's age moved on.
    expect({ ...after, sessionInfo: { ...after.sessionInfo, age: 0 } }).toEqual({ ...before, sessionInfo: { ...before.sessionInfo, age: 0 } });
  });
});
