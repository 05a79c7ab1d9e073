/**
 * The whole gateway embedded in a host's own `node:http` server: what `openclaw gateway` runs
 * (config, channels, agents, nodes, config/log methods, HTTP endpoints, Control UI), next to a
 * route of the host's own, plus a method the host adds.
 *
 * `createGatewayRuntime({ config, stateDir, server })` takes the config as an object (or a path),
 * attaches the WebSocket upgrade and the gateway's HTTP routes to the host's server (requests no
 * gateway route takes still reach the host's handler), and never touches the host's process.
 * Telegram runs against a Bot API stand-in and the agent against an OpenAI-compatible stand-in,
 * both started here on 127.0.0.1; point `apiRoot` and `baseUrl` at the real services in production.
 *
 * Run: npx tsx examples/embed-runtime.ts   (exits 0 when every check passes)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGatewayRuntime, GatewayError, type GatewayPlugin } from 'clawgate';
import { GatewayClient } from 'clawgate/client';
import { runExample, withTimeout } from './support/run-example.js';

const BOT_TOKEN = '123456:EXAMPLE-token';
const REPLY = 'Hello from the embedded agent.';

async function main(): Promise<void> {
  const model = await startModelStandIn();
  const telegram = await startBotApiStandIn();

  // 1. The host: its own server, with its own route.
  const host = createServer((req, res) => {
    if (req.url === '/host/hello') return void res.end('hello from the host');
    res.writeHead(404).end('host: not found');
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const port = (host.address() as AddressInfo).port;

  // 2. A method of the host's own: its params schema is checked before the handler runs, it is
  // advertised in hello-ok, and clients holding operator.read may call it.
  const hostMethods: GatewayPlugin = {
    name: 'host-methods',
    setup(gateway) {
      gateway.registerCustomMethod<{ text: string }, { echoed: string }>(
        'host.echo',
        { params: { type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'], additionalProperties: false }, scope: 'read' },
        ({ text }) => ({ echoed: text.toUpperCase() }),
      );
    },
  };

  // 3. The runtime, from a config object of the openclaw.json schema.
  const token = randomBytes(16).toString('hex');
  const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-embed-'));
  const runtime = await createGatewayRuntime({
    config: {
      gateway: { mode: 'local', auth: { mode: 'token', token } },
      models: { providers: { local: { baseUrl: model.url, api: 'openai-completions' } } },
      agents: { defaults: { model: 'local/demo' } },
      channels: { telegram: { botToken: BOT_TOKEN, apiRoot: telegram.apiRoot, dmPolicy: 'open', allowFrom: ['*'] } },
      canvasHost: { enabled: false },
    },
    stateDir,
    server: host,
    env: {},
    gatewayPlugins: [hostMethods],
  });
  await runtime.start();

  const client = new GatewayClient({ url: `ws://127.0.0.1:${port}`, token, client: { version: '1.0.0', platform: process.platform }, reconnect: false });
  try {
    await client.connect();

    // Check: the host's route still answers, and the gateway's HTTP routes live next to it.
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/host/hello`)).text(), 'hello from the host', 'host route');
    assert.equal((await fetch(`http://127.0.0.1:${port}/tools/invoke`, { method: 'POST' })).status, 401, 'gateway route without a bearer token');
    assert.equal((await fetch(`http://127.0.0.1:${port}/nowhere`)).status, 404, 'unknown paths reach the host handler');
    console.log('ok - the host route and the gateway routes share one server');

    // Check: the Telegram account comes up against the stand-in.
    const connected = await withTimeout(
      (async () => {
        for (;;) {
          const status = await client.call('channels.status', {});
          const account = status.channelAccounts.telegram?.[0];
          if (account?.connected) return account;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      'the Telegram account to connect',
      5_000,
    );
    assert.equal(connected.accountId, 'default', 'telegram account');
    console.log(`ok - channels.status: telegram account ${connected.accountId} connected`);

    // Check: an inbound Telegram message is answered by the agent through the channel.
    telegram.deliver('hi bot');
    const sent = await withTimeout(telegram.nextSend(), 'the agent reply sent to Telegram', 8_000);
    assert.equal(sent.text, REPLY, 'telegram reply');
    console.log(`ok - inbound Telegram message answered: "${sent.text}"`);

    // Check: an agent run from the client, two-phase, and its transcript.
    const final = await client.call('agent', { message: 'hello', idempotencyKey: 'embed-run', sessionKey: 'main' }, { expectFinal: true });
    assert.ok(final.status === 'ok', 'agent final status');
    assert.equal(final.result.payloads[0]?.text, REPLY, 'agent reply');
    const history = await client.call('chat.history', { sessionKey: 'main' });
    assert.deepEqual(history.messages.map((m) => m.role), ['user', 'assistant'], 'chat.history roles');
    console.log(`ok - agent replied and chat.history holds ${history.messages.length} messages`);

    // Check: nodes and config methods are there; the config comes back with its secrets redacted.
    const nodes = await client.call('node.list', {});
    assert.deepEqual(nodes.nodes, [], 'no nodes yet');
    const config = await client.call('config.get', {});
    const redacted = (config.config as { channels: { telegram: { botToken: string } } }).channels.telegram.botToken;
    assert.notEqual(redacted, BOT_TOKEN, 'bot token redacted');
    console.log(`ok - node.list is empty; config.get shows the bot token as ${redacted}`);

    // Check: the host's own method, advertised and validated.
    assert.ok(client.hello?.features.methods.includes('host.echo'), 'host.echo advertised');
    const echoed = await client.call<{ echoed: string }>('host.echo', { text: 'embedded' });
    assert.deepEqual(echoed, { echoed: 'EMBEDDED' }, 'host.echo result');
    const refused = await client.call('host.echo', { text: 42 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof GatewayError && /invalid host\.echo params: at \/text: must be string/.test(refused.message), 'bad params refused');
    console.log(`ok - host.echo answered ${JSON.stringify(echoed)} and refused bad params`);
  } finally {
    client.close();
    await runtime.stop();
    await rm(stateDir, { recursive: true, force: true });
  }

  // Check: after stop the host's server is the host's alone again, and still serving.
  assert.equal(await (await fetch(`http://127.0.0.1:${port}/tools/invoke`, { method: 'POST' })).text(), 'host: not found', 'routes detached');
  console.log('ok - after stop the host server serves only its own routes');
  await Promise.all([close(host), close(telegram.server), close(model.server)]);
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      try {
        resolve(body ? (JSON.parse(body) as Record<string, unknown>) : {});
      } catch (err) {
        reject(err as Error);
      }
    });
    req.on('error', reject);
  });
}

/** An OpenAI-compatible Chat Completions stand-in that always streams REPLY. */
async function startModelStandIn(): Promise<{ server: Server; url: string }> {
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'demo', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const server = createServer((req, res) => {
    req.resume().on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(chunk({ content: REPLY }) + chunk({}, 'stop') + 'data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

/** A Bot API stand-in: getMe, deleteWebhook, long-polled getUpdates fed by `deliver`, recorded sendMessage. */
async function startBotApiStandIn() {
  const updates: object[] = [];
  let nextUpdateId = 1;
  const waitingPolls = new Set<() => void>();
  const sends: Array<{ chat_id: unknown; text: string }> = [];
  const sendWaiters: Array<(send: { text: string }) => void> = [];
  const server = createServer((req, res) => {
    const method = /\/bot[^/]+\/(\w+)/.exec(req.url ?? '')?.[1];
    const reply = (result: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
    readJson(req).then(
      (body) => {
        if (method === 'getMe') return reply({ id: 4242, is_bot: true, first_name: 'Claw', username: 'claw_bot' });
        if (method === 'deleteWebhook' || method === 'setMyCommands') return reply(true);
        if (method === 'sendMessage') {
          const send = { chat_id: body.chat_id, text: String(body.text) };
          sends.push(send);
          sendWaiters.shift()?.(send);
          return reply({ message_id: 100 + sends.length, date: 0, chat: { id: body.chat_id, type: 'private' }, text: send.text });
        }
        if (method === 'sendChatAction') return reply(true);
        if (method === 'getUpdates') {
          const offset = Number(body.offset ?? 0);
          const answer = () => reply(updates.filter((u) => (u as { update_id: number }).update_id >= offset));
          if (updates.some((u) => (u as { update_id: number }).update_id >= offset)) return answer();
          // Long poll: answer when an update arrives, or empty after a short while.
          const wake = () => {
            clearTimeout(timer);
            waitingPolls.delete(wake);
            answer();
          };
          const timer = setTimeout(wake, 200);
          waitingPolls.add(wake);
          return undefined;
        }
        return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    apiRoot: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliver(text: string) {
      const from = { id: 777, is_bot: false, first_name: 'Ada' };
      updates.push({ update_id: nextUpdateId++, message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: 777, type: 'private', first_name: 'Ada' }, from, text } });
      for (const wake of [...waitingPolls]) wake();
    },
    nextSend(): Promise<{ text: string }> {
      return new Promise((resolve) => sendWaiters.push(resolve));
    },
  };
}

runExample('embed-runtime', main, 25_000);
