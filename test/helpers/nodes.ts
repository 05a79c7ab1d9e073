import { WebSocket } from 'ws';
import { GatewayClient, type GatewayClientOptions } from '../../lib/client/index.js';
import type { Gateway, GatewayOptions } from '../../lib/gateway.js';
import type { HelloOk, NodeInvokeRequestPayload } from '../../lib/protocol/generated/types.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { createTestGateway } from '../transports/contract.js';
import { TOKEN } from './connect.js';

/** What a test node answers to one `node.invoke.request`; `silent` never answers. */
export type NodeAnswer =
  | { ok: true; payload?: unknown; payloadJSON?: string }
  | { ok: false; error: { code?: string; message?: string } }
  | 'silent';

export interface TestNodeOptions extends Partial<Omit<GatewayClientOptions, 'url' | 'client'>> {
  displayName?: string;
  /** Connect as a remote peer (non-loopback Host header, protocol §3.3). */
  remote?: boolean;
  answer?: (request: NodeInvokeRequestPayload) => NodeAnswer | Promise<NodeAnswer>;
}

export interface TestNode {
  client: GatewayClient;
  hello: HelloOk;
  /** Every `node.invoke.request` this node received, in order. */
  requests: NodeInvokeRequestPayload[];
}

/** The client options of a `role:"node"` test client: a headless node host advertising `canvas.*`. */
export function nodeClientOptions(url: string, options: TestNodeOptions = {}): GatewayClientOptions {
  const { displayName, remote, answer: _answer, ...rest } = options;
  return {
    url,
    token: TOKEN,
    role: 'node',
    caps: ['canvas'],
    commands: ['canvas.eval', 'canvas.snapshot'],
    reconnect: false,
    ...rest,
    client: { id: 'node-host', mode: 'node', version: '1.2.3', platform: 'linux', ...(displayName ? { displayName } : {}) },
    ...(remote ? { createSocket: (u: string) => new WebSocket(u, { headers: { host: 'gateway.example.com' } }) } : {}),
  };
}

/** Connects a node that answers invokes with `answer` (default: echo the params back). */
export async function startNode(url: string, options: TestNodeOptions = {}): Promise<TestNode> {
  const client = new GatewayClient(nodeClientOptions(url, options));
  const requests: NodeInvokeRequestPayload[] = [];
  const answer = options.answer ?? ((req) => ({ ok: true, payload: { echo: req.paramsJSON ? JSON.parse(req.paramsJSON) : null } }));
  client.on('error', () => undefined);
  client.on('node.invoke.request', (request) => {
    requests.push(request);
    // A test may close the node before its answer goes out; it asserts on what the gateway got.
    (async () => {
      const result = await answer(request);
      if (result === 'silent') return;
      await client.call('node.invoke.result', { id: request.id, nodeId: request.nodeId, ...result });
    })().catch(() => undefined);
  });
  try {
    return { client, hello: await client.connect(), requests };
  } catch (err) {
    // A refused connect that may be retried (rate limited) would go on reconnecting in the
    // background, and connect once the limit lifts, behind the test's back.
    await client.close();
    throw err;
  }
}

export interface WsGateway {
  gateway: Gateway;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A started test gateway behind a WebSocket transport on 127.0.0.1:0. */
export async function startWsGateway(overrides: Partial<GatewayOptions> = {}): Promise<WsGateway> {
  const gateway = createTestGateway(overrides);
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const { port } = await transport.listen();
  return {
    gateway,
    port,
    url: `ws://127.0.0.1:${port}`,
    async close() {
      await gateway.close();
      await transport.close();
    },
  };
}

/** An operator client (admin unless `scopes` says otherwise). */
export async function startOperator(url: string, options: Partial<Omit<GatewayClientOptions, 'url'>> = {}): Promise<GatewayClient> {
  const client = new GatewayClient({
    url,
    token: TOKEN,
    reconnect: false,
    client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
    ...options,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
