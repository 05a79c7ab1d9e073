import { setTimeout as delay } from 'node:timers/promises';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { AgentGateway, agentGatewayPerTest } from '../helpers/agent-gateway.js';
import { TOKEN } from '../helpers/connect.js';

const { start } = agentGatewayPerTest({ endpoints: { chatCompletions: true } });

function client(h: AgentGateway, apiKey = TOKEN): OpenAI {
  return new OpenAI({ baseURL: `${h.httpUrl}/v1`, apiKey, maxRetries: 0 });
}

function post(h: AgentGateway, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.httpUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('POST /v1/chat/completions (protocol §8.2)', () => {
  it('gives the official openai client a non-streaming completion from an agent run', async () => {
    const h = await start();
    h.model.script({ text: ['Hello', ' world'] });
    const completion = await client(h).chat.completions.create({
      model: 'openclaw',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'earlier question' },
        { role: 'assistant', content: 'earlier answer' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
    });
    expect(completion).toMatchObject({
      object: 'chat.completion',
      model: 'openclaw',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello world' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
    expect(completion.id).toMatch(/^chatcmpl_[0-9a-f-]{36}$/);
    expect(completion.created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    const sent = h.model.requests[0]!.body.messages;
    expect(sent[0].content).toContain('Be terse.');
    expect(sent.at(-1).content).toBe('[Chat messages since your last reply - for context]\nUser: earlier question\nAssistant: earlier answer\n\n[Current message - respond to this]\nhi');
  });

  it('streams chat.completion.chunk deltas to the openai client', async () => {
    const h = await start();
    h.model.script({ text: ['Str', 'eam', 'ed'] });
    const stream = await client(h).chat.completions.create({ model: 'openclaw', messages: [{ role: 'user', content: 'go' }], stream: true });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant' });
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? '').join('')).toBe('Streamed');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id)).toBe(true);
    expect(chunks.every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
  });

  it('keeps a session per `user`, picks the agent by header or model, and honours x-openclaw-session-key', async () => {
    const h = await start({ settings: { agents: [{ id: 'main' }, { id: 'work' }] } });
    const c = client(h);
    await c.chat.completions.create({ model: 'openclaw', user: 'bob', messages: [{ role: 'user', content: 'remember 42' }] });
    await c.chat.completions.create({ model: 'openclaw', user: 'bob', messages: [{ role: 'user', content: 'what number?' }] });
    expect(h.model.requests[1]!.body.messages.map((m: any) => m.content).slice(1)).toEqual(['remember 42', 'ok', 'what number?']);
    expect((await h.messages('agent:main:openai-user:bob')).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);

    await c.chat.completions.create({ model: 'openclaw:work', user: 'ann', messages: [{ role: 'user', content: 'a' }] });
    expect(await h.messages('agent:work:openai-user:ann', 'work')).toHaveLength(2);
    await c.chat.completions.create({ model: 'openclaw', messages: [{ role: 'user', content: 'b' }] }, { headers: { 'x-openclaw-agent-id': 'work', 'x-openclaw-session-key': 'agent:work:custom' } });
    expect(await h.messages('agent:work:custom', 'work')).toHaveLength(2);

    const unknown = await post(h, { model: 'agent:ghost', messages: [{ role: 'user', content: 'x' }] });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: { message: 'unknown agent id "ghost"', type: 'invalid_request_error' } });
  });

  it('answers errors in the documented JSON shape: 401, 405, 400, 413, 500', async () => {
    const h = await start();
    await expect(client(h, 'wrong').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401 });
    // Each wrong secret blocks this address briefly (250 ms, then doubling): wait it out.
    await delay(300);
    const unauthorized = await post(h, {}, { authorization: 'Bearer nope' });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({ error: { message: 'Unauthorized', type: 'unauthorized' } });
    await delay(600);

    const get = await fetch(`${h.httpUrl}/v1/chat/completions`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toEqual({ error: { message: 'Method Not Allowed', type: 'invalid_request_error' } });

    const badJson = await post(h, '{"messages": [');
    expect(badJson.status).toBe(400);
    expect((await badJson.json()).error.type).toBe('invalid_request_error');
    const noUser = await post(h, { messages: [{ role: 'system', content: 'only system' }] });
    expect(noUser.status).toBe(400);
    expect(await noUser.json()).toEqual({ error: { message: 'Missing user message in `messages`.', type: 'invalid_request_error' } });
    const huge = await post(h, { messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024 + 10) }] });
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.type).toBe('invalid_request_error');

    h.model.script({ status: 500, errorBody: { error: { message: 'model crashed' } } });
    const failed = await post(h, { messages: [{ role: 'user', content: 'x' }] });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: { message: expect.stringContaining('model crashed'), type: 'api_error' } });
    expect(h.model.requests).toHaveLength(1);
  });

  it('streams a run failure as an "Error: …" chunk with finish_reason stop, then [DONE]', async () => {
    const h = await start();
    h.model.script({ status: 429, errorBody: { error: { message: 'slow down' } } });
    const res = await post(h, { stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await res.text();
    const frames = text.trim().split('\n\n');
    expect(frames.at(-1)).toBe('data: [DONE]');
    const last = JSON.parse(frames.at(-2)!.slice('data: '.length));
    expect(last.choices[0]).toMatchObject({ finish_reason: 'stop', delta: { content: expect.stringMatching(/^Error: .*slow down/) } });
  });

  it('is off unless enabled, and says what to configure when no model is set up', async () => {
    const off = await AgentGateway.start();
    try {
      const res = await fetch(`${off.httpUrl}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' });
      expect(res.status).toBe(404);
    } finally {
      await off.close();
    }
    const h = await start({ model: null });
    const res = await post(h, { messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(500);
    expect((await res.json()).error).toEqual({ message: expect.stringContaining('set agents.defaults.model'), type: 'api_error' });
  });
});
