import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { GatewayClient, type GatewayClientOptions, type WebSocketLike } from '../../../lib/client/index.js';
import {
  buildDeviceAuthPayload,
  createNodeDeviceSigner,
  deriveDeviceId,
  generateDeviceIdentity,
  verifyDeviceSignature,
} from '../../../lib/device-identity.js';
import { GatewayError } from '../../../lib/errors.js';
import type {
  ConnectParams,
  ErrorShape,
  EventFrame,
  HealthSummary,
  HelloAuth,
  HelloOk,
  PresenceEntry,
  RequestFrame,
} from '../../../lib/protocol/generated/types.js';

const HEALTH: HealthSummary = {
  ok: true,
  ts: 1,
  durationMs: 0,
  channels: {},
  channelOrder: [],
  channelLabels: {},
  heartbeatSeconds: 0,
  defaultAgentId: 'main',
  agents: [],
  sessions: { path: '/tmp/sessions.json', count: 0, recent: [] },
};
const PRESENCE: PresenceEntry[] = [{ ts: 2, host: 'gw' }];

type Decision = { error: ErrorShape; closeCode: number; closeReason: string } | { auth?: HelloAuth };

interface FakeConnection {
  ws: WebSocket;
  nonce: string;
  connect?: ConnectParams;
  requests: RequestFrame[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: object): void;
}

/** Just enough of a gateway to drive the client: challenge, connect, a few methods. */
class FakeGateway {
  readonly connections: FakeConnection[] = [];
  readonly url: string;
  readonly #wss: WebSocketServer;
  sendChallenge = true;
  tickIntervalMs = 30_000;
  decide: (params: ConnectParams, conn: FakeConnection) => Decision = () => ({});

  private constructor(wss: WebSocketServer) {
    this.#wss = wss;
    this.url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (ws) => this.#accept(ws));
  }

  static async start(): Promise<FakeGateway> {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return new FakeGateway(wss);
  }

  get last(): FakeConnection {
    return this.connections[this.connections.length - 1];
  }

  async close(): Promise<void> {
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(ws: WebSocket): void {
    const conn: FakeConnection = {
      ws,
      nonce: randomUUID(),
      requests: [],
      closed: new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
      send: (frame) => ws.send(JSON.stringify(frame)),
    };
    this.connections.push(conn);
    if (this.sendChallenge) {
      conn.send({ type: 'event', event: 'connect.challenge', payload: { nonce: conn.nonce, ts: Date.now() } });
    }
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as RequestFrame;
      if (!conn.connect) {
        conn.connect = req.params as ConnectParams;
        const decision = this.decide(conn.connect, conn);
        if ('error' in decision) {
          conn.send({ type: 'res', id: req.id, ok: false, error: decision.error });
          ws.close(decision.closeCode, decision.closeReason);
          return;
        }
        conn.send({ type: 'res', id: req.id, ok: true, payload: this.#helloOk(decision.auth) });
        return;
      }
      conn.requests.push(req);
      this.#answer(conn, req);
    });
  }

  #answer(conn: FakeConnection, req: RequestFrame): void {
    const ok = (payload: unknown) => conn.send({ type: 'res', id: req.id, ok: true, payload });
    switch (req.method) {
      case 'health':
        return ok(HEALTH);
      case 'system-presence':
        return ok(PRESENCE);
      case 'echo':
        return ok(req.params);
      case 'agent': {
        const runId = (req.params as { idempotencyKey: string }).idempotencyKey;
        ok({ runId, status: 'accepted' });
        setTimeout(() => ok({ runId, status: 'ok', summary: 'done' }), 20);
        return;
      }
      case 'never':
        return;
      default:
        conn.send({
          type: 'res',
          id: req.id,
          ok: false,
          error: { code: 'INVALID_REQUEST', message: `unknown method: ${req.method}` },
        });
    }
  }

  #helloOk(auth: HelloAuth | undefined): HelloOk {
    return {
      type: 'hello-ok',
      protocol: 3,
      server: { version: 'test', connId: randomUUID() },
      features: { methods: ['health', 'system-presence'], events: ['tick', 'presence'] },
      snapshot: { presence: [], health: HEALTH, stateVersion: { presence: 0, health: 0 }, uptimeMs: 0 },
      ...(auth && { auth }),
      policy: { maxPayload: 524288, maxBufferedBytes: 1572864, tickIntervalMs: this.tickIntervalMs },
    };
  }
}

const gateways: FakeGateway[] = [];
const clients: GatewayClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function startGateway(): Promise<FakeGateway> {
  const gateway = await FakeGateway.start();
  gateways.push(gateway);
  return gateway;
}

function createClient(gateway: FakeGateway, options: Partial<GatewayClientOptions> = {}): GatewayClient {
  const client = new GatewayClient({
    url: gateway.url,
    token: 'secret',
    client: { version: '1.2.3', platform: 'linux' },
    reconnect: { initialDelayMs: 20, maxDelayMs: 80 },
    ...options,
  });
  clients.push(client);
  return client;
}

/** Resolves with the arguments of the next `event`, or fails after `timeoutMs`. */
function next(client: GatewayClient, event: string, timeoutMs = 3_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(event as 'close', (...args: unknown[]) => {
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

function record<T = unknown>(client: GatewayClient, event: string): T[] {
  const seen: T[] = [];
  client.on(event as 'close', (payload: unknown) => void seen.push(payload as T));
  return seen;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GatewayClient handshake', () => {
  it('connects with a shared token after the challenge', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway, { scopes: ['operator.read'] });
    const hellos = record<HelloOk>(client, 'hello');
    expect(client.state).toBe('idle');

    const hello = await client.connect();
    expect(hello.type).toBe('hello-ok');
    expect(client.state).toBe('open');
    expect(client.hello).toBe(hello);
    expect(hellos).toEqual([hello]);
    expect(gateway.last.connect).toEqual({
      minProtocol: 3,
      maxProtocol: 4,
      client: { id: 'gateway-client', mode: 'backend', version: '1.2.3', platform: 'linux' },
      role: 'operator',
      scopes: ['operator.read'],
      auth: { token: 'secret' },
    });
    expect(await client.connect()).toBe(hello);
  });

  it('signs the v3 payload over the challenge nonce and keeps the issued device token', async () => {
    const gateway = await startGateway();
    const identity = generateDeviceIdentity();
    const verified: boolean[] = [];
    gateway.decide = (params, conn) => {
      const device = params.device!;
      verified.push(
        device.id === deriveDeviceId(device.publicKey) &&
          device.nonce === conn.nonce &&
          verifyDeviceSignature(
            device.publicKey,
            buildDeviceAuthPayload('v3', {
              deviceId: device.id,
              clientId: params.client.id,
              clientMode: params.client.mode,
              role: params.role ?? 'operator',
              scopes: params.scopes ?? [],
              signedAtMs: device.signedAt,
              token: params.auth?.token ?? '',
              nonce: device.nonce,
              platform: params.client.platform,
              deviceFamily: params.client.deviceFamily,
            }),
            device.signature,
          ),
      );
      return { auth: { deviceToken: 'device-token-1', role: 'operator', scopes: ['operator.admin'] } };
    };
    const client = createClient(gateway, {
      token: undefined,
      signer: createNodeDeviceSigner(identity),
      client: { id: 'cli', mode: 'cli', version: '1', platform: ' Linux ', deviceFamily: 'Desktop' },
    });
    const tokens = record(client, 'device-token');

    await client.connect();
    expect(gateway.last.connect?.auth).toBeUndefined();
    expect(gateway.last.connect?.device?.id).toBe(identity.deviceId);
    expect(tokens).toEqual([{ deviceToken: 'device-token-1', role: 'operator', scopes: ['operator.admin'] }]);

    // After a restart the client presents (and signs over) the device token it was issued.
    const hello = next(client, 'hello');
    gateway.last.ws.close(1012, 'service restart');
    await hello;
    expect(gateway.last.connect?.auth).toEqual({ token: 'device-token-1' });
    expect(verified).toEqual([true, true]);
    expect(tokens).toHaveLength(1);
  });

  it('rejects with the wire error and does not reconnect after a refused connect', async () => {
    const gateway = await startGateway();
    gateway.decide = () => ({
      error: { code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch' },
      closeCode: 1008,
      closeReason: 'unauthorized',
    });
    const client = createClient(gateway);
    const reconnecting = record(client, 'reconnecting');

    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'INVALID_REQUEST', message: 'unauthorized: gateway token mismatch' });
    expect(client.state).toBe('closed');
    await delay(100);
    expect(reconnecting).toEqual([]);
    expect(gateway.connections).toHaveLength(1);
  });

  it('stops reconnecting with reconnect-failed when pairing is required', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();
    gateway.decide = () => ({
      error: { code: 'NOT_PAIRED', message: 'pairing required', details: { requestId: 'r1' } },
      closeCode: 1008,
      closeReason: 'pairing required',
    });

    const failed = next(client, 'reconnect-failed');
    gateway.last.ws.close(1012, 'service restart');
    const [err] = await failed;
    expect(err).toMatchObject({ code: 'NOT_PAIRED', details: { requestId: 'r1' } });
    expect(client.state).toBe('closed');
    await delay(150);
    expect(gateway.connections).toHaveLength(2);
  });

  it('times out when no challenge arrives', async () => {
    const gateway = await startGateway();
    gateway.sendChallenge = false;
    const client = createClient(gateway, { connectTimeoutMs: 100 });
    await expect(client.connect()).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(client.state).toBe('closed');
  });

  it('rejects the first connect when nothing listens', async () => {
    const gateway = await startGateway();
    const url = gateway.url;
    await gateways.pop()!.close();
    const client = createClient(gateway, { url });
    await expect(client.connect()).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });
});

describe('GatewayClient calls', () => {
  it('resolves typed results and rejects wire errors', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();

    const health = await client.call('health');
    expectTypeOf(health).toEqualTypeOf<HealthSummary>();
    expect(health).toEqual(HEALTH);
    const presence = await client.call('system-presence', {});
    expectTypeOf(presence).toEqualTypeOf<PresenceEntry[]>();
    expect(presence).toEqual(PRESENCE);

    const echoed = await client.call('echo', { a: 1 });
    expectTypeOf(echoed).toBeUnknown();
    expect(echoed).toEqual({ a: 1 });
    await expect(client.call('nope')).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown method: nope' });

    const ids = gateway.last.requests.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('times out a call with TIMEOUT', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway, { requestTimeoutMs: 60 });
    await client.connect();
    const started = Date.now();
    await expect(client.call('never')).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    await expect(client.call('never', {}, { timeoutMs: 10 })).rejects.toBeInstanceOf(GatewayError);
  });

  it('rejects pending calls with CONNECTION_CLOSED when the socket drops', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway, { reconnect: false });
    await client.connect();
    const pending = client.call('never');
    await delay(20);
    gateway.last.ws.terminate();
    await expect(pending).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(client.state).toBe('closed');
    await expect(client.call('health')).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('waits for the final response with expectFinal', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();
    expect(await client.call('agent', { message: 'hi', idempotencyKey: 'run-1' })).toEqual({ runId: 'run-1', status: 'accepted' });
    expect(await client.call('agent', { message: 'hi', idempotencyKey: 'run-2' }, { expectFinal: true })).toEqual({
      runId: 'run-2',
      status: 'ok',
      summary: 'done',
    });
  });

  it('rejects calls after close() with CLOSED', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();
    const pending = client.call('never');
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await expect(client.call('health')).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(client.connect()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(client.state).toBe('closed');
  });
});

describe('GatewayClient events', () => {
  it('delivers typed events with the raw frame and unsubscribes', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();
    const seen: Array<[PresenceEntry[], EventFrame]> = [];
    const off = client.on('presence', (payload, frame) => {
      expectTypeOf(payload.presence).toEqualTypeOf<PresenceEntry[]>();
      seen.push([payload.presence, frame]);
    });
    const custom: unknown[] = [];
    client.on('chat', (payload) => void custom.push(payload));

    const frame = { type: 'event', event: 'presence', payload: { presence: PRESENCE }, seq: 1 };
    gateway.last.send(frame);
    gateway.last.send({ type: 'event', event: 'chat', payload: { runId: 'r' }, seq: 2 });
    await next(client, 'chat');
    expect(seen).toEqual([[PRESENCE, frame]]);
    expect(custom).toEqual([{ runId: 'r' }]);

    off();
    gateway.last.send({ ...frame, seq: 3 });
    gateway.last.send({ type: 'event', event: 'chat', payload: {}, seq: 4 });
    await next(client, 'chat');
    expect(seen).toHaveLength(1);
  });

  it('reports a seq gap and refreshes health and presence', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();
    const gaps = record(client, 'gap');

    const refresh = next(client, 'refresh');
    for (const seq of [1, 2, 5]) gateway.last.send({ type: 'event', event: 'tick', payload: { ts: seq }, seq });
    const [state] = await refresh;
    expect(gaps).toEqual([{ expected: 3, received: 5 }]);
    expect(state).toEqual({ health: HEALTH, presence: PRESENCE });
    expect(gateway.last.requests.map((r) => r.method).sort()).toEqual(['health', 'system-presence']);
  });

  it('routes listener failures to the error event', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    const errors = record(client, 'error');
    client.on('hello', () => {
      throw new Error('listener broke');
    });
    await client.connect();
    expect(errors).toEqual([new Error('listener broke')]);
  });
});

describe('GatewayClient liveness and reconnect', () => {
  it('closes with 4000 tick timeout when ticks stop, then reconnects', async () => {
    const gateway = await startGateway();
    gateway.tickIntervalMs = 50;
    const client = createClient(gateway);
    await client.connect();
    const first = gateway.last;

    // Ticks keep the connection alive well past two intervals.
    const ticker = setInterval(() => first.send({ type: 'event', event: 'tick', payload: { ts: Date.now() } }), 20);
    await delay(250);
    clearInterval(ticker);
    expect(client.state).toBe('open');

    gateway.tickIntervalMs = 30_000;
    const closed = next(client, 'close');
    const hello = next(client, 'hello');
    expect((await closed)[0]).toEqual({ code: 4000, reason: 'tick timeout' });
    expect(await first.closed).toEqual({ code: 4000, reason: 'tick timeout' });
    await hello;
    expect(gateway.connections).toHaveLength(2);
    expect(client.state).toBe('open');
  });

  it('reconnects after 1012 with capped exponential backoff and fresh seq tracking', async () => {
    const gateway = await startGateway();
    const client = createClient(gateway);
    await client.connect();
    gateway.last.send({ type: 'event', event: 'tick', payload: { ts: 1 }, seq: 1 });
    const gaps = record(client, 'gap');
    const attempts = record(client, 'reconnecting');
    const closes = record(client, 'close');

    // The restarting gateway turns the first three reconnects away before any handshake.
    let refusals = 3;
    gateway.sendChallenge = false;
    const original = gateway.connections.length;
    const watcher = setInterval(() => {
      for (const conn of gateway.connections.slice(original)) {
        if (!conn.connect && conn.ws.readyState === WebSocket.OPEN && refusals > 0) {
          refusals -= 1;
          if (refusals === 0) gateway.sendChallenge = true;
          conn.ws.close(1012, 'service restart');
        }
      }
    }, 2);

    const hello = next(client, 'hello');
    gateway.last.send({ type: 'event', event: 'shutdown', payload: { reason: 'restart', restartExpectedMs: 10 } });
    gateway.last.ws.close(1012, 'service restart');
    await hello;
    clearInterval(watcher);

    expect(closes[0]).toEqual({ code: 1012, reason: 'service restart' });
    expect(attempts).toEqual([
      { attempt: 1, delayMs: 20 },
      { attempt: 2, delayMs: 40 },
      { attempt: 3, delayMs: 80 },
      { attempt: 4, delayMs: 80 },
    ]);
    expect(client.state).toBe('open');

    gateway.last.send({ type: 'event', event: 'tick', payload: { ts: 2 }, seq: 40 });
    gateway.last.send({ type: 'event', event: 'tick', payload: { ts: 3 }, seq: 41 });
    await next(client, 'tick');
    expect(gaps).toEqual([]);

    // The attempt counter starts over once connected again.
    const again = next(client, 'reconnecting');
    gateway.last.ws.close(1012, 'service restart');
    expect((await again)[0]).toEqual({ attempt: 1, delayMs: 20 });
  });

  it('runs over an injected socket', async () => {
    const urls: string[] = [];
    const sent: RequestFrame[] = [];
    const createSocket = (url: string): WebSocketLike => {
      urls.push(url);
      const socket: WebSocketLike = {
        readyState: 1,
        onmessage: null,
        onclose: null,
        onerror: null,
        send(data) {
          const req = JSON.parse(data) as RequestFrame;
          sent.push(req);
          const payload = req.method === 'connect' ? { type: 'hello-ok', policy: { tickIntervalMs: 30_000 } } : 'pong';
          queueMicrotask(() => socket.onmessage?.({ data: JSON.stringify({ type: 'res', id: req.id, ok: true, payload }) }));
        },
        close() {
          (socket as { readyState: number }).readyState = 3;
        },
      };
      queueMicrotask(() =>
        socket.onmessage?.({ data: JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: 0 } }) }),
      );
      return socket;
    };
    const client = new GatewayClient({ url: 'memory://gateway', client: { version: '1', platform: 'test' }, createSocket });
    clients.push(client);

    await client.connect();
    expect(await client.call('ping')).toBe('pong');
    expect(urls).toEqual(['memory://gateway']);
    expect(sent.map((r) => r.method)).toEqual(['connect', 'ping']);
  });

  it('accepts DOM and ws sockets as WebSocketLike without casts', () => {
    expectTypeOf<WebSocket>().toMatchTypeOf<WebSocketLike>();
    expectTypeOf<globalThis.WebSocket>().toMatchTypeOf<WebSocketLike>();
    // @ts-expect-error params are typed by GatewayMethodMap
    const wrong = () => clients[0]?.call('device.pair.approve', {});
    expect(typeof wrong).toBe('function');
  });
});
