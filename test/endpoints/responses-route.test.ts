import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { AgentGateway, agentGatewayPerTest } from '../helpers/agent-gateway.js';
import { TOKEN } from '../helpers/connect.js';

const { start } = agentGatewayPerTest({ endpoints: { responses: true } });

function client(h: AgentGateway): OpenAI {
  return new OpenAI({ baseURL: `${h.httpUrl}/v1`, apiKey: TOKEN, maxRetries: 0 });
}

function post(h: AgentGateway, body: unknown): Promise<Response> {
  return fetch(`${h.httpUrl}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/responses (protocol §8.3)', () => {
  it('gives the official openai client a completed response with output_text', async () => {
    const h = await start();
    h.model.script({ text: ['Hi ', 'there'], usage: { input: 9, output: 2 } });
    const response = await client(h).responses.create({ model: 'openclaw', input: 'hello', instructions: 'Answer in English.' });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'openclaw',
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hi there' }] }],
      usage: { input_tokens: 9, output_tokens: 2, total_tokens: 11 },
    });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe('Hi there');
    const sent = h.model.requests[0]!.body.messages;
    expect(sent[0].content).toContain('Answer in English.');
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'hello' });
  });

  it('streams the OpenResponses event sequence to the openai client', async () => {
    const h = await start();
    h.model.script({ text: ['One', ' two'] });
    const stream = await client(h).responses.create({ model: 'openclaw', input: [{ role: 'user', content: [{ type: 'input_text', text: 'count' }] }], stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    expect(deltas.map((e) => (e as { delta: string }).delta)).toEqual(['One', ' two']);
    const completed = events.at(-1) as { response: OpenAI.Responses.Response };
    expect(completed.response.status).toBe('completed');
    expect(completed.response.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ type: 'output_text', text: 'One two' })] })]);
  });

  it('hands client function tools back as function_call items and continues with function_call_output', async () => {
    const h = await start();
    h.model.script({ toolCalls: [{ id: 'call_w', name: 'get_weather', arguments: { city: 'Oslo' } }] }, { text: ['It is sunny in Oslo.'] });
    const c = client(h);
    const tools: OpenAI.Responses.Tool[] = [
      { type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false },
    ];
    const first = await c.responses.create({ model: 'openclaw', user: 'u1', input: 'weather in Oslo?', tools });
    const call = first.output.find((o) => o.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', call_id: 'call_w', name: 'get_weather', arguments: '{"city":"Oslo"}' });
    expect(h.model.requests[0]!.body.tools.map((t: any) => t.function.name)).toContain('get_weather');

    const second = await c.responses.create({
      model: 'openclaw',
      user: 'u1',
      tools,
      input: [{ type: 'function_call_output', call_id: 'call_w', output: '{"sky":"clear"}' }],
    });
    expect(second.output_text).toBe('It is sunny in Oslo.');
    const sent = h.model.requests[1]!.body.messages;
    expect(sent.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_w', content: '{"sky":"clear"}' });
    expect((await h.messages('agent:main:openresponses-user:u1')).map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
  });

  it('passes base64 images and text files to the model and refuses what it cannot take', async () => {
    const h = await start();
    const png = Buffer.from('fake png').toString('base64');
    const res = await post(h, {
      input: [
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', source: { type: 'base64', media_type: 'image/png', data: png } },
            { type: 'input_file', source: { type: 'base64', media_type: 'text/plain', data: Buffer.from('file body').toString('base64'), filename: 'notes.txt' } },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const content = h.model.requests[0]!.body.messages.at(-1).content;
    expect(content).toEqual([
      { type: 'text', text: 'look\n<file name="notes.txt">\nfile body\n</file>' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
    ]);
    const zip = await post(h, { input: [{ role: 'user', content: [{ type: 'input_file', source: { type: 'base64', media_type: 'application/zip', data: 'aGk=' } }] }] });
    expect(zip.status).toBe(400);
    expect((await zip.json()).error).toEqual({ message: expect.stringContaining('unsupported file type application/zip'), type: 'invalid_request_error' });
    const missing = await post(h, { input: [] });
    expect(await missing.json()).toEqual({ error: { message: 'Missing user message in `input`.', type: 'invalid_request_error' } });
  });

  it('streams response.failed when the run fails, and is off unless enabled', async () => {
    const h = await start();
    h.model.script({ status: 401, errorBody: { error: { message: 'bad key' } } });
    const res = await post(h, { input: 'x', stream: true });
    const events = (await res.text())
      .trim()
      .split('\n\n')
      .map((block) => block.split('\n'));
    expect(events.at(-1)).toEqual(['data: [DONE]']);
    const failed = events.at(-2)!;
    expect(failed[0]).toBe('event: response.failed');
    expect(JSON.parse(failed[1]!.slice(6)).response).toMatchObject({ status: 'failed', error: { code: 'api_error', message: expect.stringContaining('bad key') } });

    const off = await AgentGateway.start();
    try {
      expect((await fetch(`${off.httpUrl}/v1/responses`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
