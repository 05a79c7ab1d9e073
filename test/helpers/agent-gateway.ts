import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { AgentService } from '../../lib/agents/agent-service.js';
import { AgentSettings, type AgentSettingsInput } from '../../lib/agents/agent-settings.js';
import { UsageLedger } from '../../lib/agents/usage-ledger.js';
import type { Tool, ToolPolicy } from '../../lib/agents/tool-registry.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import { FileStorage } from '../../lib/file-storage.js';
import type { Gateway } from '../../lib/gateway.js';
import type { GatewayPlugin } from '../../lib/plugin.js';
import { agentPlugins } from '../../lib/plugins/agents-plugin.js';
import { ModelCatalog } from '../../lib/providers/model-catalog.js';
import { agentsService } from '../../lib/services.js';
import { SessionStore, type SessionStoreOptions } from '../../lib/sessions/session-store.js';
import { createChatCompletionsRoute } from '../../endpoints/chat-completions-route.js';
import { createHooksRoute, type HooksRouteOptions } from '../../endpoints/hooks-route.js';
import { HttpRouter } from '../../transports/http.js';
import { createResponsesRoute, type ResponsesRouteOptions } from '../../endpoints/responses-route.js';
import { createToolsInvokeRoute } from '../../endpoints/tools-invoke-route.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { connectPeer, type Frame, type WsPeer } from '../bin/helpers.js';
import { createTestGateway } from '../transports/contract.js';
import { TOKEN } from './connect.js';
import { FakeModelServer, type FakeApi } from './fake-model-server.js';

export interface AgentGatewayOptions {
  api?: FakeApi;
  /** `provider/model` of the default agent; null leaves agent runs unconfigured. */
  model?: string | null;
  settings?: Omit<AgentSettingsInput, 'defaultModel'>;
  endpoints?: { chatCompletions?: boolean; responses?: boolean };
  /** `/v1/responses` input limits and URL fetcher (default: the documented limits, the real network). */
  responsesInputs?: Pick<ResponsesRouteOptions, 'inputLimits' | 'fetcher'>;
  hooks?: Omit<HooksRouteOptions, 'gateway'>;
  tools?: Tool[];
  toolPolicy?: ToolPolicy;
  /** The fake model's context window (default 64000 tokens). */
  contextWindow?: number;
  /** Reuse a state dir (restart scenarios). */
  stateDir?: string;
  /** USD per million tokens of fake/m1 (usage.cost). */
  price?: { input: number; output: number };
  /** Session store options over the defaults (a FileStorage of the state dir, the clock). */
  sessions?: (stateDir: string) => Partial<SessionStoreOptions>;
  /** The gateway's clock (default the system clock); tests drive timers with a ManualClock. */
  clock?: Clock;
  /** More plugins, installed after the agent plugins (heartbeats, channels). */
  plugins?: (stateDir: string) => GatewayPlugin[];
}

/**
 * A real gateway for agent tests: WebSocket + HTTP on 127.0.0.1:0, sessions in a temp state dir,
 * and a fake model server (OpenAI-compatible or Anthropic) as provider `fake`.
 */
export class AgentGateway {
  readonly gateway: Gateway;
  /** The agents plugin's service: what HTTP endpoints and hooks run agents through. */
  readonly service: AgentService;
  readonly model: FakeModelServer;
  readonly stateDir: string;
  readonly #transport: WebSocketTransport;
  readonly #peers: WsPeer[] = [];
  readonly #ownsState: boolean;
  wsUrl = '';
  httpUrl = '';
  #nextId = 0;

  private constructor(parts: { gateway: Gateway; service: AgentService; model: FakeModelServer; stateDir: string; transport: WebSocketTransport; ownsState: boolean }) {
    this.gateway = parts.gateway;
    this.service = parts.service;
    this.model = parts.model;
    this.stateDir = parts.stateDir;
    this.#transport = parts.transport;
    this.#ownsState = parts.ownsState;
  }

  static async start(options: AgentGatewayOptions = {}): Promise<AgentGateway> {
    const api = options.api ?? 'openai';
    const model = await FakeModelServer.start(api);
    const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'openclaw-agent-')));
    const clock = options.clock ?? systemClock;
    const gateway = createTestGateway({ stateDir, clock });
    const catalog = new ModelCatalog({
      env: {},
      providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: api === 'openai' ? 'openai-completions' : 'anthropic-messages', models: [{ id: 'm1', contextWindow: options.contextWindow ?? 64_000, ...(options.price ? { cost: options.price } : {}) }] } },
    });
    const settings = new AgentSettings({ ...options.settings, defaultModel: options.model === null ? undefined : (options.model ?? 'fake/m1') });
    // Agents, sessions and chat on top of the default (core) plugins, the way the CLI runtime adds them.
    for (const plugin of agentPlugins({
      models: catalog,
      sessions: new SessionStore({ storage: new FileStorage(stateDir), now: () => clock.now(), ...options.sessions?.(stateDir) }),
      settings,
      tools: options.tools,
      toolPolicy: options.toolPolicy,
      usage: new UsageLedger({ storage: new FileStorage(stateDir) }),
    })) {
      gateway.use(plugin);
    }
    for (const plugin of options.plugins?.(stateDir) ?? []) gateway.use(plugin);
    // Loads the session indexes (the agents plugin's start).
    await gateway.start();
    const service = gateway.service(agentsService);
    const router = new HttpRouter();
    if (options.hooks) router.add(createHooksRoute({ gateway, ...options.hooks }));
    router.add(createToolsInvokeRoute({ agents: service, gateway }));
    router.add(createResponsesRoute({ agents: service, gateway, enabled: () => options.endpoints?.responses === true, ...options.responsesInputs }));
    router.add(createChatCompletionsRoute({ agents: service, gateway, enabled: () => options.endpoints?.chatCompletions === true }));
    const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1', requestHandler: router.handle });
    const { port } = await transport.listen();
    const harness = new AgentGateway({ gateway, service, model, stateDir, transport, ownsState: options.stateDir === undefined });
    harness.wsUrl = `ws://127.0.0.1:${port}`;
    harness.httpUrl = `http://127.0.0.1:${port}`;
    return harness;
  }

  /** An admin operator socket that records every frame it receives. */
  async connect(): Promise<WsPeer> {
    const peer = await connectPeer(this.wsUrl, TOKEN);
    this.#peers.push(peer);
    return peer;
  }

  /** Sends a request; returns its id. */
  send(peer: WsPeer, method: string, params: unknown): string {
    const id = `r${++this.#nextId}`;
    peer.ws.send(JSON.stringify({ type: 'req', id, method, params }));
    return id;
  }

  /** Sends a request and waits for the first `res` with its id. */
  async request(peer: WsPeer, method: string, params: unknown): Promise<Frame> {
    const id = this.send(peer, method, params);
    return peer.next((f) => f.type === 'res' && f.id === id);
  }

  /** Every `res` frame received for `id` so far. */
  responses(peer: WsPeer, id: string): Frame[] {
    return peer.frames.filter((f) => f.type === 'res' && f.id === id);
  }

  /** Waits for the final (non-accepted) `res` of a two-phase request. */
  final(peer: WsPeer, id: string, timeoutMs = 5000): Promise<Frame> {
    return peer.next((f) => f.type === 'res' && f.id === id && f.payload?.status !== 'accepted', timeoutMs);
  }

  events(peer: WsPeer, event: string, runId?: string): Array<Record<string, any>> {
    return peer.frames.filter((f) => f.type === 'event' && f.event === event && (runId === undefined || f.payload?.runId === runId)).map((f) => f.payload);
  }

  /** The parsed transcript lines of a session (header included), read from disk once deferred index changes are written. */
  async transcript(sessionKey = 'agent:main:main', agentId = 'main'): Promise<Array<Record<string, any>>> {
    await this.service.sessions.flush(agentId);
    const index = JSON.parse(await readFile(join(this.stateDir, 'agents', agentId, 'sessions', 'sessions.json'), 'utf8'));
    const entry = index[sessionKey];
    if (!entry) throw new Error(`no session ${sessionKey} in the index: ${Object.keys(index).join(', ')}`);
    const text = await readFile(join(this.stateDir, 'agents', agentId, 'sessions', entry.sessionFile), 'utf8');
    return text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  }

  /** Transcript messages only (`message` of each line). */
  async messages(sessionKey?: string, agentId?: string): Promise<Array<Record<string, any>>> {
    return (await this.transcript(sessionKey, agentId)).filter((l) => l.type === 'message').map((l) => l.message);
  }

  async close(): Promise<void> {
    for (const peer of this.#peers.splice(0)) peer.ws.terminate();
    // Aborts running turns (the agents plugin's stop) after closing every connection.
    await this.gateway.close();
    await this.#transport.close();
    await this.model.close();
    if (this.#ownsState) await rm(this.stateDir, { recursive: true, force: true });
  }
}

/**
 * One AgentGateway per test, closed (with anything passed to `defer`) in afterEach. Call at the
 * top of a test file; `start` merges its options over `defaults`.
 */
export function agentGatewayPerTest(defaults: AgentGatewayOptions = {}): {
  start(options?: AgentGatewayOptions): Promise<AgentGateway>;
  defer(cleanup: () => unknown): void;
} {
  const open: AgentGateway[] = [];
  const deferred: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of deferred.splice(0).reverse()) await cleanup();
    for (const h of open.splice(0)) await h.close();
  });
  return {
    async start(options = {}) {
      const h = await AgentGateway.start({ ...defaults, ...options });
      open.push(h);
      return h;
    },
    defer: (cleanup) => void deferred.push(cleanup),
  };
}
