import { afterEach, describe, expect, it } from 'vitest';
import { ANTHROPIC_VERSION, AnthropicMessagesProvider, toAnthropicMessages } from '../../../lib/providers/anthropic-messages-provider.js';
import { collect, streamFailure } from '../../helpers/model-stream.js';
import { FakeModelServer } from '../../helpers/fake-model-server.js';

let server: FakeModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});


describe('AnthropicMessagesProvider', () => {
  it('streams text, thinking (with signature), tool_use and usage from Messages API events', async () => {
    server = await FakeModelServer.start('anthropic');
    server.script({ thinking: ['hmm'], text: ['Hi ', 'there'], toolCalls: [{ id: 'toolu_1', name: 'sessions_list', arguments: { limit: 3 } }], usage: { input: 20, output: 7 } });
    const provider = new AnthropicMessagesProvider({ baseUrl: server.baseUrl, apiKey: 'sk-ant' });
    const events = await collect(
      provider.stream({
        model: 'claude-x',
        system: 'sys',
        messages: [{ role: 'user', content: 'hello', timestamp: 0 }],
        tools: [{ name: 'sessions_list', description: 'list', parameters: { type: 'object' } }],
        thinking: 'low',
      }),
    );
    expect(events).toEqual([
      { type: 'thinking', delta: 'hmm' },
      { type: 'thinking', delta: '', signature: 'sig-fake' },
      { type: 'text', delta: 'Hi ' },
      { type: 'text', delta: 'there' },
      { type: 'toolCall', id: 'toolu_1', name: 'sessions_list', argumentsJson: '{"limit":3}' },
      { type: 'usage', usage: { input: 20, output: 7, total: 27 } },
      { type: 'stop', reason: 'toolUse' },
    ]);
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe('sk-ant');
    expect(req.headers['anthropic-version']).toBe(ANTHROPIC_VERSION);
    expect(req.body).toMatchObject({
      model: 'claude-x',
      system: 'sys',
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tools: [{ name: 'sessions_list', description: 'list', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    });
    expect(req.body.max_tokens).toBeGreaterThan(2048);
  });

  it('merges tool results into one user turn and keeps signed thinking blocks', () => {
    expect(
      toAnthropicMessages([
        { role: 'user', content: 'q', timestamp: 0 },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'plan', signature: 's1' },
            { type: 'thinking', thinking: 'unsigned' },
            { type: 'toolCall', id: 't1', name: 'a', arguments: {} },
            { type: 'toolCall', id: 't2', name: 'b', arguments: { x: 1 } },
          ],
          stopReason: 'toolUse',
          timestamp: 1,
        },
        { role: 'toolResult', toolCallId: 't1', toolName: 'a', content: [{ type: 'text', text: 'r1' }], isError: false, timestamp: 2 },
        { role: 'toolResult', toolCallId: 't2', toolName: 'b', content: [{ type: 'text', text: 'r2' }], isError: true, timestamp: 3 },
        { role: 'assistant', content: [], stopReason: 'aborted', timestamp: 4 },
        { role: 'user', content: 'next', timestamp: 5 },
      ]),
    ).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'q' }] },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'plan', signature: 's1' },
          { type: 'tool_use', id: 't1', name: 'a', input: {} },
          { type: 'tool_use', id: 't2', name: 'b', input: { x: 1 } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't1', content: 'r1' },
          { type: 'tool_result', tool_use_id: 't2', content: 'r2', is_error: true },
          { type: 'text', text: 'next' },
        ],
      },
    ]);
  });

  it('maps 401, 429 (retry-after-ms) and overloaded stream errors to clear provider errors', async () => {
    server = await FakeModelServer.start('anthropic');
    server.script(
      { status: 401, errorBody: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } } },
      { status: 429, headers: { 'retry-after-ms': '1500' }, errorBody: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } } },
      { text: ['partial'], streamError: { type: 'overloaded_error', message: 'Overloaded' } },
    );
    const provider = new AnthropicMessagesProvider({ baseUrl: `${server.baseUrl}/v1`, apiKey: 'k' });
    const auth = await streamFailure(provider.stream({ model: 'm', messages: [] }));
    expect(auth.message).toContain('anthropic rejected the API key (HTTP 401): invalid x-api-key');
    expect(auth.details).toMatchObject({ reason: 'auth' });
    const limited = await streamFailure(provider.stream({ model: 'm', messages: [] }));
    expect(limited.retryAfterMs).toBe(1500);
    expect(limited.details).toMatchObject({ reason: 'rate_limit' });
    const overloaded = await streamFailure(provider.stream({ model: 'm', messages: [] }));
    expect(overloaded.message).toBe('anthropic stream failed (overloaded_error): Overloaded; the service is overloaded, retry later');
    expect(overloaded.retryable).toBe(true);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/messages', '/v1/messages', '/v1/messages']);
  });

  it('fails a stream cut before message_stop', async () => {
    server = await FakeModelServer.start('anthropic');
    server.script({ text: ['a', 'b'], cutAfter: 4 });
    const err = await streamFailure(new AnthropicMessagesProvider({ baseUrl: server.baseUrl }).stream({ model: 'm', messages: [] }));
    expect(err.message).toContain('stream ended before the reply was complete');
  });
});
