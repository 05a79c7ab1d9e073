import { describe, expect, it } from 'vitest';
import type { Tool } from '../../../lib/agents/tool-registry.js';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';

const { start } = agentGatewayPerTest();

describe('WebChat methods (protocol §6.9, §7.5)', () => {
  it('chat.send answers started, then in_flight, then the cached ok; chat events carry the client key', async () => {
    const h = await start();
    h.model.script({ text: ['He', 'llo', ' there'], delayMs: 60 });
    const ui = await h.connect();
    const started = await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'hi', idempotencyKey: 'chat-1' });
    expect(started.payload).toEqual({ runId: 'chat-1', status: 'started' });
    const again = await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'hi', idempotencyKey: 'chat-1' });
    expect(again.payload).toEqual({ runId: 'chat-1', status: 'in_flight' });

    const final = await ui.next((f) => f.event === 'chat' && f.payload.state === 'final');
    expect(final.payload).toMatchObject({
      runId: 'chat-1',
      sessionKey: 'main',
      state: 'final',
      message: { role: 'assistant', content: [{ type: 'text', text: 'Hello there' }], stopReason: 'stop' },
      usage: { input: 10, output: 5, total: 15 },
    });
    const deltas = h.events(ui, 'chat', 'chat-1').filter((p) => p.state === 'delta');
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    expect(deltas[0]).toMatchObject({ sessionKey: 'main', message: { role: 'assistant', content: [{ type: 'text', text: 'He' }] } });
    const done = await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'hi', idempotencyKey: 'chat-1' });
    expect(done.payload).toEqual({ runId: 'chat-1', status: 'ok' });
    expect(h.model.requests).toHaveLength(1);

    const history = await h.request(ui, 'chat.history', { sessionKey: 'main' });
    expect(history.payload).toMatchObject({ sessionKey: 'main', sessionId: expect.any(String), thinkingLevel: 'off' });
    expect(history.payload.messages.map((m: any) => [m.role, m.role === 'user' ? m.content : m.content[0].text])).toEqual([
      ['user', 'hi'],
      ['assistant', 'Hello there'],
    ]);
    const limited = await h.request(ui, 'chat.history', { sessionKey: 'agent:main:main', limit: 1 });
    expect(limited.payload.messages).toHaveLength(1);
    const empty = await h.request(ui, 'chat.history', { sessionKey: 'nobody' });
    expect(empty.payload).toEqual({ sessionKey: 'nobody', messages: [], thinkingLevel: 'off', hasMore: false, totalMessages: 0 });
  });

  it('throttles deltas to one per 150 ms', async () => {
    const h = await start();
    h.model.script({ text: Array.from({ length: 12 }, (_, i) => `${i} `) });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'count', idempotencyKey: 'thr' });
    await ui.next((f) => f.event === 'chat' && f.payload.state === 'final');
    const deltaTimes = ui.frames.filter((f) => f.event === 'chat' && f.payload.state === 'delta').map((f) => f.payload.message.timestamp as number);
    const assistantEvents = h.events(ui, 'agent', 'thr').filter((e) => e.stream === 'assistant');
    expect(assistantEvents).toHaveLength(12);
    expect(deltaTimes.length).toBeLessThan(12);
    for (let i = 1; i < deltaTimes.length; i++) expect(deltaTimes[i]! - deltaTimes[i - 1]!).toBeGreaterThanOrEqual(150);
  });

  it('sends a delta held back by the throttle once its window ends, so a reply that pauses shows all its text so far', async () => {
    const h = await start();
    // The role chunk, then both words; then the stream pauses.
    h.model.script({ text: ['Hello', ' there'], hangAfter: 3 });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'pause', idempotencyKey: 'pause' });
    const late = await ui.next((f) => f.event === 'chat' && f.payload.state === 'delta' && f.payload.message.content[0].text === 'Hello there');
    expect(late.payload.runId).toBe('pause');
    await h.request(ui, 'chat.abort', { sessionKey: 'main', runId: 'pause' });
    await ui.next((f) => f.event === 'chat' && f.payload.state === 'aborted');
  });

  it('/stop aborts the running turn: an aborted chat event, a consistent transcript, and the next turn works', async () => {
    const h = await start();
    h.model.script({ text: ['thinking about it'], hangAfter: 2 }, { text: ['fresh answer'] });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'long task', idempotencyKey: 'long' });
    await ui.next((f) => f.event === 'agent' && f.payload.stream === 'assistant');
    const stop = await h.request(ui, 'chat.send', { sessionKey: 'main', message: '/stop', idempotencyKey: 'stop-1' });
    expect(stop.payload).toEqual({ ok: true, aborted: true, runIds: ['long'] });
    const aborted = await ui.next((f) => f.event === 'chat' && f.payload.state === 'aborted');
    expect(aborted.payload).toMatchObject({ runId: 'long', sessionKey: 'main', stopReason: 'stop', message: { content: [{ type: 'text', text: 'thinking about it' }] } });
    const end = await ui.next((f) => f.event === 'agent' && f.payload.runId === 'long' && f.payload.data.phase === 'end');
    expect(end.payload.data.aborted).toBe(true);

    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'next', idempotencyKey: 'next' });
    await ui.next((f) => f.event === 'chat' && f.payload.runId === 'next' && f.payload.state === 'final');
    const messages = await h.messages();
    expect(messages.map((m) => [m.role, m.stopReason])).toEqual([
      ['user', undefined],
      ['assistant', 'aborted'],
      ['user', undefined],
      ['assistant', 'stop'],
    ]);
    const sessions = await h.request(ui, 'sessions.list', {});
    expect(sessions.payload.sessions[0].abortedLastRun).toBe(false);
  });

  it('an abort while a tool hangs answers the tool call and ends the run at once', async () => {
    const hanging: Tool = { name: 'hang', description: 'never returns', parameters: { type: 'object' }, execute: () => new Promise(() => {}) };
    const h = await start({ tools: [hanging], settings: { verboseDefault: 'on' } });
    h.model.script({ toolCalls: [{ id: 'h1', name: 'hang', arguments: {} }, { id: 'h2', name: 'sessions_list', arguments: {} }] }, { text: ['after'] });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'hang please', idempotencyKey: 'hang-1' });
    await ui.next((f) => f.event === 'agent' && f.payload.stream === 'tool' && f.payload.data.phase === 'start');
    const abort = await h.request(ui, 'chat.abort', { sessionKey: 'main' });
    expect(abort.payload).toEqual({ ok: true, aborted: true, runIds: ['hang-1'] });
    await ui.next((f) => f.event === 'chat' && f.payload.runId === 'hang-1' && f.payload.state === 'aborted');
    const messages = await h.messages();
    expect(messages.map((m) => [m.role, m.toolCallId ?? null, m.isError ?? null])).toEqual([
      ['user', null, null],
      ['assistant', null, null],
      ['toolResult', 'h1', true],
      ['toolResult', 'h2', true],
    ]);
    expect(h.model.requests).toHaveLength(1);

    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'go on', idempotencyKey: 'hang-2' });
    await ui.next((f) => f.event === 'chat' && f.payload.runId === 'hang-2' && f.payload.state === 'final');
    expect(h.model.requests[1]!.body.messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'tool', 'user']);
  });

  it('chat.abort stops a run by id, refuses a runId of another session, and drops queued runs', async () => {
    const h = await start();
    h.model.script({ text: ['working'], hangAfter: 2 });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'one', idempotencyKey: 'a1' });
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'two', idempotencyKey: 'a2' });
    await ui.next((f) => f.event === 'agent' && f.payload.runId === 'a1' && f.payload.stream === 'assistant');

    const wrong = await h.request(ui, 'chat.abort', { sessionKey: 'agent:main:elsewhere', runId: 'a1' });
    expect(wrong.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'runId does not match sessionKey' });
    const one = await h.request(ui, 'chat.abort', { sessionKey: 'main', runId: 'a1' });
    expect(one.payload).toEqual({ ok: true, aborted: true, runIds: ['a1'] });
    const rest = await h.request(ui, 'chat.abort', { sessionKey: 'main' });
    expect(rest.payload).toEqual({ ok: true, aborted: true, runIds: ['a2'] });
    const second = await ui.next((f) => f.event === 'chat' && f.payload.runId === 'a2' && f.payload.state === 'aborted');
    expect(second.payload.stopReason).toBe('rpc');
    const none = await h.request(ui, 'chat.abort', { sessionKey: 'main', runId: 'unknown' });
    expect(none.payload).toEqual({ ok: true, aborted: false, runIds: [] });
    // The queued run never reached the model and wrote nothing.
    expect(h.model.requests).toHaveLength(1);
    expect((await h.messages()).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('a timed-out chat run ends with an aborted event whose stopReason is timeout', async () => {
    const h = await start();
    h.model.script({ text: ['x'], hangAfter: 1 });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'slow', idempotencyKey: 't1', timeoutMs: 200 });
    const aborted = await ui.next((f) => f.event === 'chat' && f.payload.state === 'aborted');
    expect(aborted.payload.stopReason).toBe('timeout');
    const cached = await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'slow', idempotencyKey: 't1' });
    expect(cached.ok).toBe(false);
    expect(cached.payload).toEqual({ runId: 't1', status: 'error', summary: 'agent run timed out after 200 ms' });
  });

  it('reports a failed run as a chat error event', async () => {
    const h = await start();
    h.model.script({ status: 401, errorBody: { error: { message: 'bad key' } } });
    const ui = await h.connect();
    await h.request(ui, 'chat.send', { sessionKey: 'main', message: 'hi', idempotencyKey: 'e1' });
    const error = await ui.next((f) => f.event === 'chat' && f.payload.state === 'error');
    expect(error.payload.errorMessage).toContain('fake rejected the API key (HTTP 401): bad key');
  });

  it('rejects an empty message and inject notes into the transcript (admin) with a final chat event', async () => {
    const h = await start();
    const ui = await h.connect();
    const empty = await h.request(ui, 'chat.send', { sessionKey: 'main', message: '  ', idempotencyKey: 'empty' });
    expect(empty.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'message or attachment required' });

    const injected = await h.request(ui, 'chat.inject', { sessionKey: 'main', message: 'Reminder: standup at 10', label: 'cron' });
    expect(injected.payload).toEqual({ ok: true, messageId: expect.any(String) });
    const event = await ui.next((f) => f.event === 'chat' && f.payload.state === 'final');
    expect(event.payload).toMatchObject({
      runId: `inject-${injected.payload.messageId}`,
      sessionKey: 'main',
      message: { role: 'assistant', content: [{ type: 'text', text: 'Reminder: standup at 10' }], stopReason: 'injected', label: 'cron' },
    });
    const lines = await h.transcript();
    expect(lines.at(-1)).toMatchObject({ id: injected.payload.messageId, message: { stopReason: 'injected' } });
  });
});
