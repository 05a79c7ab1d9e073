import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../lib/errors.js';
import type { ModelStreamEvent } from '../../../lib/providers/model-provider.js';
import { OpenAiChatProvider } from '../../../lib/providers/openai-chat-provider.js';
import { collect, streamFailure } from '../../helpers/model-stream.js';
import { FakeModelServer, type FakeApi } from '../../helpers/fake-model-server.js';
import { findFreePort } from '../../bin/helpers.js';

let server: FakeModelServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(api: FakeApi = 'openai'): Promise<FakeModelServer> {
  server = await FakeModelServer.start(api);
  return server;
}


describe('OpenAiChatProvider', () => {
  it('streams text, usage and stop, and sends messages, tools and the key as Chat Completions wants them', async () => {
    const s = await start();
    s.script({ text: ['Hel', 'lo'], usage: { input: 12, output: 3 } });
    const provider = new OpenAiChatProvider({ id: 'local', baseUrl: s.baseUrl, apiKey: 'sk-test' });
    const events = await collect(
      provider.stream({
        model: 'm1',
        system: 'be brief',
        messages: [
          { role: 'user', content: 'hi', timestamp: 1 },
          { role: 'assistant', content: [{ type: 'text', text: 'calling' }, { type: 'toolCall', id: 'c1', name: 'sessions_list', arguments: { limit: 2 } }], stopReason: 'toolUse', timestamp: 2 },
          { role: 'toolResult', toolCallId: 'c1', toolName: 'sessions_list', content: [{ type: 'text', text: '[]' }], isError: false, timestamp: 3 },
          { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image', data: 'aGk=', mimeType: 'image/png' }], timestamp: 4 },
        ],
        tools: [{ name: 'sessions_list', description: 'list', parameters: { type: 'object' } }],
      }),
    );
    expect(events).toEqual([
      { type: 'text', delta: 'Hel' },
      { type: 'text', delta: 'lo' },
      { type: 'usage', usage: { input: 12, output: 3, total: 15 } },
      { type: 'stop', reason: 'stop' },
    ]);
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'm1', stream: true, stream_options: { include_usage: true } });
    expect(req.body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'calling', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'sessions_list', arguments: '{"limit":2}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: '[]' },
      { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,aGk=' } }] },
    ]);
    expect(req.body.tools).toEqual([{ type: 'function', function: { name: 'sessions_list', description: 'list', parameters: { type: 'object' } } }]);
  });

  it('assembles tool calls streamed in pieces and reports stop reason toolUse', async () => {
    const s = await start();
    s.script({ toolCalls: [{ id: 'call_a', name: 'nodes', arguments: { action: 'list' } }, { id: 'call_b', name: 'message', arguments: { to: '+1', message: 'x' } }] });
    const events = await collect(new OpenAiChatProvider({ baseUrl: s.baseUrl }).stream({ model: 'm', messages: [{ role: 'user', content: 'go', timestamp: 0 }] }));
    expect(events.filter((e) => e.type === 'toolCall')).toEqual([
      { type: 'toolCall', id: 'call_a', name: 'nodes', argumentsJson: '{"action":"list"}' },
      { type: 'toolCall', id: 'call_b', name: 'message', argumentsJson: '{"to":"+1","message":"x"}' },
    ]);
    expect(events.at(-1)).toEqual({ type: 'stop', reason: 'toolUse' });
    expect(s.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('says the key was rejected on 401, naming the provider and the upstream message', async () => {
    const s = await start();
    s.script({ status: 401, errorBody: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } });
    const err = await streamFailure(new OpenAiChatProvider({ id: 'openai', baseUrl: s.baseUrl, apiKey: 'bad' }).stream({ model: 'm', messages: [] }));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('openai rejected the API key (HTTP 401): Incorrect API key provided');
    expect(err.details).toEqual({ provider: 'openai', reason: 'auth', status: 401 });
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('bad');
  });

  it('reports a rate limit with retryAfterMs from Retry-After', async () => {
    const s = await start();
    s.script({ status: 429, headers: { 'retry-after': '7' }, errorBody: { error: { message: 'Rate limit reached' } } });
    const err = await streamFailure(new OpenAiChatProvider({ baseUrl: s.baseUrl }).stream({ model: 'm', messages: [] }));
    expect(err.details).toMatchObject({ reason: 'rate_limit', status: 429 });
    expect(err.retryAfterMs).toBe(7000);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('rate limit reached (HTTP 429): Rate limit reached; retry after 7 s');
  });

  it('reports a server failure as retryable upstream error', async () => {
    const s = await start();
    s.script({ status: 500, errorBody: 'upstream exploded' });
    const err = await streamFailure(new OpenAiChatProvider({ baseUrl: s.baseUrl }).stream({ model: 'm', messages: [] }));
    expect(err.details).toMatchObject({ reason: 'upstream', status: 500 });
    expect(err.message).toContain('(HTTP 500): upstream exploded');
  });

  it('says which host is unreachable', async () => {
    const port = await findFreePort();
    const err = await streamFailure(new OpenAiChatProvider({ id: 'ollama', baseUrl: `http://127.0.0.1:${port}/v1` }).stream({ model: 'm', messages: [] }));
    expect(err.details).toMatchObject({ reason: 'unreachable' });
    expect(err.message).toBe(`ollama is unreachable at http://127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('fails a stream that ends before finish_reason or [DONE]', async () => {
    const s = await start();
    s.script({ text: ['par', 'tial'], cutAfter: 2 });
    const err = await streamFailure(new OpenAiChatProvider({ baseUrl: s.baseUrl }).stream({ model: 'm', messages: [] }));
    expect(err.message).toContain('stream ended before the reply was complete');
  });

  it('stops promptly on abort and on a stalled stream', async () => {
    const s = await start();
    s.script({ text: ['a', 'b'], hangAfter: 2 }, { text: ['a'], hangAfter: 1 });
    const controller = new AbortController();
    const stream = new OpenAiChatProvider({ baseUrl: s.baseUrl }).stream({ model: 'm', messages: [], signal: controller.signal });
    const seen: ModelStreamEvent[] = [];
    const done = (async () => {
      for await (const e of stream) {
        seen.push(e);
        controller.abort();
      }
    })();
    const aborted = await done.then(
      () => undefined,
      (err: GatewayError) => err,
    );
    expect(aborted?.details).toMatchObject({ reason: 'aborted' });
    expect(seen).toEqual([{ type: 'text', delta: 'a' }]);

    const stalled = await streamFailure(new OpenAiChatProvider({ baseUrl: s.baseUrl, idleTimeoutMs: 150 }).stream({ model: 'm', messages: [] }));
    expect(stalled.details).toMatchObject({ reason: 'timeout' });
    expect(stalled.message).toContain('the reply stalled for 150 ms');
  });
});
