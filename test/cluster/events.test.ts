import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'isomorphic-ws';
import { GatewayClient, type GatewayClientOptions } from '../../lib/client/index.js';
import type { EventFrame } from '../../lib/protocol/generated/types.js';
import { killAll, runCli } from '../bin/helpers.js';
import { TOKEN } from '../helpers/connect.js';
import { FakeModelServer } from '../helpers/fake-model-server.js';
import { HAS_NATS_SERVER, NATS_SKIP_MESSAGE, startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { startNode, type TestNode } from '../helpers/nodes.js';
import { ClusterHarness, eventually, type GatewayInstance } from './harness.js';

if (!HAS_NATS_SERVER) console.warn(NATS_SKIP_MESSAGE);

/** Real gateway processes sharing a real NATS JetStream: events, invokes, resume, a rolling restart. */
describe.skipIf(!HAS_NATS_SERVER)('events across gateway processes (NATS JetStream)', () => {
  let nats: NatsServer;
  let model: FakeModelServer;
  let cluster: ClusterHarness;
  const clients: GatewayClient[] = [];
  const nodes: TestNode[] = [];

  const operator = async (urls: string[], extra: Partial<GatewayClientOptions> = {}): Promise<GatewayClient> => {
    let next = 0;
    const client = new GatewayClient({
      url: urls[0]!,
      token: TOKEN,
      client: { id: 'cli', version: '1.0.0', platform: 'linux', mode: 'cli' },
      scopes: ['operator.admin', 'operator.read', 'operator.write', 'operator.pairing'],
      reconnect: false,
      requestTimeoutMs: 30_000,
      // Each (re)connect dials the next instance: what a client behind a load balancer sees.
      createSocket: () => new WebSocket(urls[next++ % urls.length]!) as never,
      ...extra,
    });
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };

  /** Raises `node.pair.requested` (a shared event) through whichever instance is up. */
  const raise = async (nodeId: string, through: GatewayInstance[]) => {
    for (const instance of through) {
      if (!instance.running) continue;
      const client = await operator([instance.url]).catch(() => undefined);
      if (!client) continue;
      try {
        await client.call('node.pair.request', { nodeId });
        return;
      } catch {
        // stopping under us: the next one takes it
      } finally {
        client.close();
      }
    }
    throw new Error(`no instance took ${nodeId}`);
  };

  const pairRequests = (client: GatewayClient) => {
    const seen: string[] = [];
    client.on('node.pair.requested', (p) => seen.push(p.nodeId));
    return seen;
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    model = await FakeModelServer.start('openai');
    cluster = await ClusterHarness.create(2, {
      natsUrl: nats.url,
      config: () => ({
        agents: { defaults: { model: 'fake/m1' } },
        models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions' } } },
      }),
    });
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    for (const node of nodes) node.client.close();
    for (const client of clients) client.close();
    await cluster?.close();
    await killAll();
    await model?.close();
    await nats?.close();
  });

  it('an agent run on one instance streams to a client of the other, in order; presence and node.invoke span both', async () => {
    const [a, b] = cluster.instances as [GatewayInstance, GatewayInstance];
    const onA = await operator([a.url]);
    const onB = await operator([b.url]);
    const chatA: unknown[] = [];
    const chatB: unknown[] = [];
    onA.on('chat', (p) => chatA.push(p));
    onB.on('chat', (p) => chatB.push(p));
    model.script({ text: ['Hel', 'lo ', 'from ', 'A'] });
    await onA.call('chat.send', { sessionKey: 'agent:main:main', message: 'hi', idempotencyKey: 'x-1' });
    const final = (list: unknown[]) => list.some((p) => (p as { state?: string }).state === 'final');
    await eventually(() => final(chatA) && final(chatB), 'the final chat event on both instances');
    expect(chatB).toEqual(chatA);

    // A node on A, invoked by an operator on B.
    const node = await startNode(a.url, { displayName: 'node on A' });
    nodes.push(node);
    await eventually(async () => ((await onB.call('system-presence')) as Array<{ host?: string }>).some((e) => e.host === 'node on A'), 'the node in B\'s presence');
    const listedOnB = async () => (await onB.call('node.list')).nodes.find((n) => n.nodeId === 'node-host');
    expect(await eventually(listedOnB, 'the node in B\'s node.list')).toMatchObject({ displayName: 'node on A', connected: true, commands: ['canvas.eval', 'canvas.snapshot'] });
    const result = await onB.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', params: { js: '1+1' }, idempotencyKey: 'inv-1' });
    expect(result).toMatchObject({ ok: true, nodeId: 'node-host', payload: { echo: { js: '1+1' } } });
    expect(node.requests).toHaveLength(1);
    await expect(onB.call('node.invoke', { nodeId: 'nobody', command: 'canvas.eval', idempotencyKey: 'inv-2' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      details: { code: 'NOT_CONNECTED' },
    });
    // The node's own instance refuses what its allowlist refuses, for a caller on B too.
    await expect(onB.call('node.invoke', { nodeId: 'node-host', command: 'system.run', idempotencyKey: 'inv-3' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    node.client.close();
    await eventually(async () => (await listedOnB()) === undefined, 'the node gone from B\'s node.list');
  }, 60_000);

  it('a client that reconnects to the other instance with its cursor gets what it missed, in order, without a gap', async () => {
    const [a, b] = cluster.instances as [GatewayInstance, GatewayInstance];
    const first = await operator([a.url], { resume: true });
    const before = pairRequests(first);
    await raise('resume-1', [b]);
    await eventually(() => before.includes('resume-1'), 'resume-1 on the first connection');
    const point = first.resumePoint!;
    expect(point).toMatchObject({ stream: expect.stringMatching(/^CLAWGATE@/), cursor: expect.any(Number) });
    first.close();

    for (const id of ['resume-2', 'resume-3', 'resume-4']) await raise(id, [a]);
    const again = new GatewayClient({
      url: b.url,
      token: TOKEN,
      client: { id: 'cli', version: '1.0.0', platform: 'linux', mode: 'cli' },
      scopes: ['operator.admin', 'operator.pairing'],
      reconnect: false,
      resume: point,
    });
    clients.push(again);
    const after = pairRequests(again);
    const frames: EventFrame[] = [];
    again.on('node.pair.requested', (_p, frame) => frames.push(frame));
    let gaps = 0;
    again.on('gap', () => gaps++);
    const hello = await again.connect();
    expect(hello.resume).toMatchObject({ stream: point.stream, complete: true, replayed: 3 });
    await eventually(() => after.length === 3, 'the three missed events');
    expect(after).toEqual(['resume-2', 'resume-3', 'resume-4']);
    expect(frames.map((f) => f.cursor)).toEqual([point.cursor + 1, point.cursor + 2, point.cursor + 3]);
    expect(gaps).toBe(0);
  }, 60_000);

  it('gateway status names the instance and its peers; doctor finds NATS and the stream', async () => {
    const [a] = cluster.instances as [GatewayInstance, GatewayInstance];
    const status = await runCli(['gateway', 'status', '--url', a.url, '--token', TOKEN], a.testEnv, 30_000);
    expect(status.stdout).toMatch(/^Cluster instance: gw-0$/m);
    expect(status.stdout).toMatch(/^Cluster events: NATS stream CLAWGATE \(reachable, \d+ ms, \d+ events, last \d+\)$/m);
    expect(status.stdout).toMatch(/^Leases held: none$/m);
    expect(status.stdout).toMatch(/^Peers: gw-1 on \S+ \(\d+ clients\)$/m);
    const doctor = await runCli(['doctor', '--json'], a.testEnv, 30_000);
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; status: string; message: string }> }).checks.filter((c) => c.id === 'cluster');
    expect(checks).toEqual([expect.objectContaining({ status: 'ok', message: expect.stringMatching(/NATS reachable .*JetStream on; stream CLAWGATE holds \d+ events/) })]);
  }, 90_000);

  it('a rolling restart of every instance loses no event for a resuming client, and repeats none', async () => {
    const [a, b] = cluster.instances as [GatewayInstance, GatewayInstance];
    const watcher = await operator([a.url, b.url], { resume: true, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } });
    const seen = pairRequests(watcher);
    let gaps = 0;
    watcher.on('gap', () => gaps++);
    let hellos = 0;
    watcher.on('hello', () => hellos++);
    const expected: string[] = [];
    const batch = async (label: string) => {
      for (let i = 1; i <= 3; i++) {
        const id = `roll-${label}-${i}`;
        expected.push(id);
        await raise(id, [a, b]);
      }
    };
    await batch('all-up');
    await a.stop();
    await batch('a-down');
    await a.start();
    await batch('a-back');
    await b.stop();
    await batch('b-down');
    await b.start();
    await batch('b-back');
    await eventually(() => seen.length >= expected.length, `all ${expected.length} events at the watcher (saw ${seen.length})`, 30_000);
    expect(seen).toEqual(expected);
    expect(gaps).toBe(0);
    // It was moved off each instance as that one stopped.
    expect(hellos).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
