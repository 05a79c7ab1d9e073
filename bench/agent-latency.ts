/**
 * Agent streaming latency: time from a model token arriving at the gateway to the matching
 * `agent` event leaving it, with 20 runs streaming at once. A local OpenAI-compatible server
 * (same process, loopback) paces tokens; the gateway runs in-process behind its WebSocket
 * transport with one connected operator, through the public API (the agent plugins).
 *
 * "Arriving" is when the server hands the chunk to its socket (loopback adds microseconds);
 * "leaving" is when `gateway.broadcast` has written the event to every connection (the
 * gateway's `agent` listener fires right after). `clientReceiveMs` adds the client's side.
 *
 * Standalone: `npx tsx bench/agent-latency.ts` prints the section as JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AgentSettings } from '../lib/agents/agent-settings.js';
import { corePlugins } from '../lib/core-plugins.js';
import { FileStorage } from '../lib/file-storage.js';
import { Gateway } from '../lib/gateway.js';
import { agentPlugins } from '../lib/plugins/agents-plugin.js';
import { ModelCatalog } from '../lib/providers/model-catalog.js';
import { SessionStore } from '../lib/sessions/session-store.js';
import { MemoryStorage } from '../lib/storage.js';
import { WebSocketTransport } from '../transports/ws.js';
import { Cleanup, errorText, progress, withTimeout } from './log.js';
import { row } from './rows.js';
import { round, summarize } from './stats.js';
import { BENCH_TOKEN, connectGateway } from './ws-peer.js';

const RUNS = 20;
const TOKENS_PER_RUN = 100;
const TOKEN_INTERVAL_MS = 5;
const WARMUP_RUNS = 4;
/** p99 budget for token-in to event-out inside one process. */
const TARGET_P99_MS = 20;

interface TokenServer {
  url: string;
  /** performance.now() when each token (by its text) was written to the socket. */
  sentAt: Map<string, number>;
  close(): Promise<void>;
}

/** Streams `TOKENS_PER_RUN` uniquely named tokens per request, Chat Completions style. */
async function startTokenServer(): Promise<TokenServer> {
  const sentAt = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const messages = (JSON.parse(body) as { messages: Array<{ content: string }> }).messages;
      const tag = String(messages.at(-1)?.content ?? 'x');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      let i = 0;
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'b', object: 'chat.completion.chunk', created: 0, model: 'bench', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      const timer = setInterval(() => {
        if (res.destroyed) {
          clearInterval(timer);
          return;
        }
        if (i === TOKENS_PER_RUN) {
          clearInterval(timer);
          res.end(chunk({}, 'stop') + 'data: [DONE]\n\n');
          return;
        }
        const token = `${tag}:${i++} `;
        sentAt.set(token, performance.now());
        res.write(chunk({ content: token }, null));
      }, TOKEN_INTERVAL_MS);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    sentAt,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The `agentLatency` section: token → agent event latency (ms) over 20 concurrent runs. */
export async function agentLatencySection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const tokens = await startTokenServer();
  cleanup.add('agent-latency token server', () => tokens.close());
  const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-bench-agent-'));
  cleanup.add('agent-latency state dir', () => rm(stateDir, { recursive: true, force: true }));

  const storage = new MemoryStorage();
  const gateway = new Gateway({
    auth: { mode: 'token', token: BENCH_TOKEN },
    stateDir,
    storage,
    plugins: [
      ...corePlugins({ storage }),
      ...agentPlugins({
        models: new ModelCatalog({ providers: { bench: { baseUrl: tokens.url, api: 'openai-completions' } } }),
        sessions: new SessionStore({ storage: new FileStorage(stateDir) }),
        settings: new AgentSettings({ defaultModel: 'bench/token-stream' }),
      }),
    ],
  });
  // Loads the session indexes; close() aborts running turns.
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const { port } = await transport.listen();
  cleanup.add('agent-latency gateway', async () => {
    await gateway.close();
    await transport.close();
  });

  const leftAt = new Map<string, number>();
  gateway.on('agent', (event) => {
    if (event.stream === 'assistant' && typeof event.data.delta === 'string') leftAt.set(event.data.delta, performance.now());
  });

  const { peer } = await connectGateway(`ws://127.0.0.1:${port}`);
  cleanup.add('agent-latency client', () => peer.terminate());
  const receivedAt = new Map<string, number>();
  const finals = new Map<string, (ok: boolean) => void>();
  peer.onFrame = (data) => {
    const t = performance.now();
    const frame = JSON.parse(data.toString('utf8')) as { type: string; id?: string; ok?: boolean; event?: string; payload?: any };
    if (frame.type === 'event' && frame.event === 'agent' && frame.payload?.stream === 'assistant') receivedAt.set(frame.payload.data.delta, t);
    else if (frame.type === 'res' && frame.id && frame.payload?.status !== 'accepted') finals.get(frame.id)?.(frame.ok === true);
  };

  const batch = async (label: string, count: number): Promise<number> => {
    const started = performance.now();
    const done = Array.from({ length: count }, (_, i) => {
      const id = `${label}-${i}`;
      const finished = new Promise<boolean>((resolve) => finals.set(id, resolve));
      peer.send(JSON.stringify({ type: 'req', id, method: 'agent', params: { message: id, idempotencyKey: id, sessionKey: `bench:${id}` } }));
      return finished;
    });
    const results = await withTimeout(Promise.all(done), 60_000, `${count} agent runs`);
    const failed = results.filter((ok) => !ok).length;
    if (failed) throw new Error(`${failed} of ${count} agent runs failed`);
    return performance.now() - started;
  };

  progress(`agent-latency: warm-up ${WARMUP_RUNS} runs`);
  await batch('warm', WARMUP_RUNS);
  tokens.sentAt.clear();
  leftAt.clear();
  receivedAt.clear();
  progress(`agent-latency: ${RUNS} concurrent runs x ${TOKENS_PER_RUN} tokens every ${TOKEN_INTERVAL_MS} ms`);
  const wallMs = await batch('run', RUNS);

  const gatewayMs: number[] = [];
  const clientMs: number[] = [];
  let missing = 0;
  for (const [token, sent] of tokens.sentAt) {
    const left = leftAt.get(token);
    const received = receivedAt.get(token);
    if (left === undefined || received === undefined) {
      missing++;
      continue;
    }
    gatewayMs.push(left - sent);
    clientMs.push(received - sent);
  }
  const gatewaySummary = summarize(gatewayMs, 3);
  const pass = missing === 0 && gatewaySummary.p99 <= TARGET_P99_MS;
  return {
    runs: RUNS,
    tokensPerRun: TOKENS_PER_RUN,
    tokenIntervalMs: TOKEN_INTERVAL_MS,
    tokens: gatewayMs.length,
    missingTokens: missing,
    tokenToAgentEventMs: gatewaySummary,
    p50Ms: gatewaySummary.p50,
    p99Ms: gatewaySummary.p99,
    clientReceiveMs: summarize(clientMs, 3),
    wallMs: round(wallMs, 1),
    targetP99Ms: TARGET_P99_MS,
    pass,
    rows: [
      row(
        `agent token → \`agent\` event, p50 / p99 (${RUNS} runs × ${TOKENS_PER_RUN} tokens)`,
        `${gatewaySummary.p50} / ${gatewaySummary.p99} ms`,
        '—',
        '—',
        `no regression (round one: p99 < ${TARGET_P99_MS} ms)`,
        pass,
      ),
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cleanup = new Cleanup();
  agentLatencySection(cleanup)
    .then(
      (result) => process.stdout.write(JSON.stringify({ agentLatency: result }, null, 2) + '\n'),
      (err: unknown) => {
        process.stderr.write(`agent-latency failed: ${errorText(err)}\n`);
        process.exitCode = 1;
      },
    )
    .finally(() =>
      cleanup.run().then((problems) => {
        for (const problem of problems) progress(`agent-latency cleanup: ${problem}`);
      }),
    );
}
