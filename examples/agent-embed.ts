/**
 * Agent runs in an embedded Gateway, with a tool of your own.
 *
 * `agentPlugins()` adds `agent`, `chat.*`, `sessions.list` and the `agent`/`chat` events to a
 * Gateway, next to its core plugins. The model here is a tiny OpenAI-compatible server started by the example itself (any
 * Chat Completions endpoint works the same way: OpenAI, OpenRouter, Ollama, vLLM, LM Studio):
 * it first asks for the `weather` tool, then answers with what the tool returned. Sessions live
 * in memory (`MemoryStorage`); pass `new FileStorage(stateDir)` to keep them on disk.
 *
 * Run: npx tsx examples/agent-embed.ts   (exits 0 when every check passes)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  agentPlugins,
  AgentSettings,
  corePlugins,
  Gateway,
  MemoryStorage,
  ModelCatalog,
  SessionStore,
  type Tool,
} from 'clawgate';
import { GatewayClient } from 'clawgate/client';
import { WebSocketTransport } from 'clawgate/transports/ws';
import { runExample } from './support/run-example.js';

/** One SSE chunk of a Chat Completions stream. */
const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'demo', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

async function main(): Promise<void> {
  // 1. The model: asks for the tool when it has no tool result yet, else answers with it.
  const model = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { messages } = JSON.parse(body) as { messages: Array<{ role: string; content: string }> };
      const result = messages.find((m) => m.role === 'tool');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (!result) {
        const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Lisbon"}' } };
        res.end(chunk({ tool_calls: [call] }) + chunk({}, 'tool_calls') + 'data: [DONE]\n\n');
        return;
      }
      const { sky } = JSON.parse(result.content) as { sky: string };
      res.end(chunk({ content: 'Lisbon is ' }) + chunk({ content: `${sky} today.` }) + chunk({}, 'stop') + 'data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
  const modelUrl = `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1`;

  // 2. Your own tool: a name, a JSON Schema for its arguments, and what it does.
  const calls: unknown[] = [];
  const weather: Tool = {
    name: 'weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    execute(args) {
      calls.push(args);
      return { text: JSON.stringify({ sky: 'sunny' }), details: { sky: 'sunny' } };
    },
  };

  // 3. The Gateway with agent runs: a provider catalog, a session store, the agent's model.
  const token = randomBytes(16).toString('hex');
  const storage = new MemoryStorage();
  const gateway = new Gateway({
    auth: { mode: 'token', token },
    version: 'agent-example',
    storage,
    plugins: [
      ...corePlugins({ storage }),
      ...agentPlugins({
        models: new ModelCatalog({ providers: { local: { baseUrl: modelUrl, api: 'openai-completions' } } }),
        sessions: new SessionStore({ storage }),
        settings: new AgentSettings({ defaultModel: 'local/demo' }),
        tools: [weather],
      }),
    ],
  });
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const { port } = await transport.listen();

  const client = new GatewayClient({ url: `ws://127.0.0.1:${port}`, token, client: { version: '1.0.0', platform: process.platform }, reconnect: false });
  try {
    await client.connect();

    // Check: the reply streams as `agent` events, and `agent` resolves with the final result.
    let streamed = '';
    client.on('agent', (event) => {
      if (event.runId === 'example-run' && event.stream === 'assistant') streamed += String(event.data.delta);
    });
    const final = await client.call('agent', { message: 'Weather in Lisbon?', idempotencyKey: 'example-run' }, { expectFinal: true });
    assert.ok(final.status === 'ok', 'final status');
    assert.deepEqual(final.result.payloads, [{ text: 'Lisbon is sunny today.', mediaUrl: null }], 'reply');
    assert.equal(streamed, 'Lisbon is sunny today.', 'streamed text');
    assert.deepEqual(calls, [{ city: 'Lisbon' }], 'tool calls');
    console.log(`ok - agent replied "${final.result.payloads[0]!.text}" after calling weather(${JSON.stringify(calls[0])})`);

    // Check: the session transcript holds the whole turn, tool call and result included.
    const history = await client.call('chat.history', { sessionKey: 'main' });
    assert.deepEqual(
      history.messages.map((m) => m.role),
      ['user', 'assistant', 'toolResult', 'assistant'],
      'transcript roles',
    );
    console.log(`ok - chat.history has ${history.messages.length} messages in session ${history.sessionId}`);
  } finally {
    client.close();
    await gateway.close();
    await transport.close();
    await new Promise<void>((resolve) => model.close(() => resolve()));
  }
}

runExample('agent-embed', main, 10_000);
