import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenClawConfig } from '../../lib/config/index.js';
import { createGatewayRuntime } from '../../runtime/index.js';
import type { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { connectPeer, makeEnv, openPeer, type WsPeer } from '../bin/helpers.js';
import { FakeModelServer } from '../helpers/fake-model-server.js';
import { parsePrometheusText, type PromScrape } from '../helpers/prometheus-text.js';

const TOKEN = 'probes-token-0123456789abcdef';
const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

async function start(extra: Partial<OpenClawConfig> = {}, own: Record<string, unknown> = {}): Promise<GatewayRuntime> {
  const t = await makeEnv();
  const config = {
    gateway: { mode: 'local', auth: { token: TOKEN } },
    canvasHost: { enabled: false },
    plugins: { entries: { clawgate: { config: own } } },
    ...extra,
  } as OpenClawConfig;
  const runtime = await createGatewayRuntime({ config, stateDir: t.stateDir, env: { HOME: t.home }, overrides: { port: '0' } });
  cleanups.push(() => runtime.stop());
  await runtime.start();
  return runtime;
}

async function scrape(port: number, headers: Record<string, string> = {}): Promise<PromScrape> {
  const reply = await get(port, '/metrics', headers);
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(reply.body);
}

let ids = 0;
async function call(peer: WsPeer, method: string, params: unknown = {}): Promise<any> {
  const id = `p${++ids}`;
  peer.ws.send(JSON.stringify({ type: 'req', id, method, params }));
  return peer.next((f) => f.type === 'res' && f.id === id);
}

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('probes', () => {
  it('/healthz and /readyz answer JSON without secrets; HEAD works, other methods are refused', async () => {
    const runtime = await start();
    const health = await get(runtime.port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ ok: true, status: 'running' });
    const ready = await get(runtime.port, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(ready.body)).toEqual({ ready: true, checks: { started: true, config: true, channels: true, draining: false }, channels: [] });
    expect(ready.body).not.toContain(TOKEN);
    expect((await get(runtime.port, '/readyz', {}, 'HEAD')).status).toBe(200);
    expect((await get(runtime.port, '/healthz', {}, 'POST')).status).toBe(405);
  });

  it('a channel account still on its first connect attempt holds readiness back until the attempt ends', async () => {
    // A Bot API that never answers: the first getMe stays pending.
    const { createServer } = await import('node:http');
    const held: Array<import('node:http').ServerResponse> = [];
    const api = createServer((_req, res) => void held.push(res));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => api.close(resolve)));
    cleanups.push(() => api.closeAllConnections());
    const port = (api.address() as { port: number }).port;
    const runtime = await start({ channels: { telegram: { botToken: '123:abc', apiRoot: `http://127.0.0.1:${port}`, dmPolicy: 'open' } } as never });
    const body = JSON.parse((await get(runtime.port, '/readyz')).body);
    expect(body.checks.channels).toBe(false);
    expect(body.ready).toBe(false);
    expect(body.channels).toEqual([{ channel: 'telegram', accountId: 'default', state: 'connecting' }]);
    expect(JSON.stringify(body)).not.toContain('123:abc');
    // The attempt fails: the account is past it, and readiness no longer waits for it.
    await until(async () => held.length > 0);
    for (const res of held.splice(0)) res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error_code: 401, description: 'Unauthorized' }));
    await until(async () => (await get(runtime.port, '/readyz')).status === 200, 10_000);
  });
});

describe('/metrics', () => {
  it('counts real traffic: requests move, the connection gauge follows clients, auth failures, process and event-loop metrics', async () => {
    const runtime = await start();
    const port = runtime.port;
    const first = await scrape(port);
    expect(first.family('openclaw_requests_total')?.type).toBe('counter');
    expect(first.family('openclaw_request_duration_seconds')?.type).toBe('histogram');
    expect(first.family('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    // prom-client counts process CPU from its first collection on: present, not necessarily above 0 yet.
    expect(first.family('process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(first.value('openclaw_connections', { role: 'operator', mode: 'test' })).toBe(0);

    const a = await connectPeer(`ws://127.0.0.1:${port}`, TOKEN);
    const b = await connectPeer(`ws://127.0.0.1:${port}`, TOKEN);
    for (let i = 0; i < 5; i++) expect((await call(a, 'health')).ok).toBe(true);
    expect((await call(b, 'no.such.method')).ok).toBe(false);
    const second = await scrape(port);
    expect(second.value('openclaw_connections', { role: 'operator', mode: 'test' })).toBe(2);
    const healthOk = second.value('openclaw_requests_total', { method: 'health', outcome: 'ok' });
    expect(healthOk - first.value('openclaw_requests_total', { method: 'health', outcome: 'ok' })).toBe(5);
    expect(second.value('openclaw_requests_total', { method: 'unknown', outcome: 'INVALID_REQUEST' })).toBe(1);
    expect(second.value('openclaw_request_duration_seconds_count', { method: 'health' })).toBe(healthOk);
    expect(second.value('openclaw_request_duration_seconds_bucket', { method: 'health', le: '+Inf' })).toBe(healthOk);

    a.ws.close();
    await a.closed;
    const refused = await openPeer(`ws://127.0.0.1:${port}`);
    await refused.next((f) => f.type === 'event' && f.event === 'connect.challenge');
    refused.ws.send(
      JSON.stringify({ type: 'req', id: '1', method: 'connect', params: { minProtocol: 3, maxProtocol: 4, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' }, auth: { token: 'wrong-token' } } }),
    );
    await refused.closed;
    await until(async () => (await scrape(port)).value('openclaw_connections', { role: 'operator', mode: 'test' }) === 1);
    const third = await scrape(port);
    expect(third.value('openclaw_auth_failures_total', { transport: 'ws', reason: 'token_mismatch' })).toBe(1);
    expect(third.value('openclaw_requests_total', { method: 'health', outcome: 'ok' })).toBe(healthOk);
    b.ws.close();
    await b.closed;
    await until(async () => (await scrape(port)).value('openclaw_connections', { role: 'operator', mode: 'test' }) === 0);
  });

  it('counts from the start: requests made before the first scrape are in it', async () => {
    const runtime = await start();
    const peer = await connectPeer(`ws://127.0.0.1:${runtime.port}`, TOKEN);
    for (let i = 0; i < 3; i++) expect((await call(peer, 'health')).ok).toBe(true);
    const first = await scrape(runtime.port);
    expect(first.value('openclaw_requests_total', { method: 'health', outcome: 'ok' })).toBe(3);
    expect(first.value('openclaw_request_duration_seconds_count', { method: 'health' })).toBe(3);
    peer.ws.close();
    await peer.closed;
  });

  it('is free for local peers only by default: a remote one presents the gateway token, and refusals are counted', async () => {
    const runtime = await start();
    const remote = { host: 'gateway.example.com' };
    await scrape(runtime.port, { ...remote, authorization: `Bearer ${TOKEN}` });
    const missing = await get(runtime.port, '/metrics', remote);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect((await get(runtime.port, '/metrics', { ...remote, authorization: 'Bearer nope' })).status).toBe(401);
    const local = await scrape(runtime.port);
    expect(local.value('openclaw_auth_failures_total', { transport: 'http', reason: 'missing' })).toBe(1);
    expect(local.value('openclaw_auth_failures_total', { transport: 'http', reason: 'mismatch' })).toBe(1);
  });

  it('counts agent runs, their duration and tokens', async () => {
    const model = await FakeModelServer.start('openai');
    cleanups.push(() => model.close());
    const runtime = await start({
      agents: { defaults: { model: 'fake/m1' } },
      models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions', models: [{ id: 'm1' }] } } },
    } as never);
    await scrape(runtime.port);
    const client = await connectPeer(`ws://127.0.0.1:${runtime.port}`, TOKEN);
    model.script({ text: ['hi'], usage: { input: 21, output: 4 } });
    client.ws.send(JSON.stringify({ type: 'req', id: 'run', method: 'agent', params: { message: 'hello', sessionKey: 'main', idempotencyKey: 'metrics-1' } }));
    await client.next((f) => f.type === 'res' && f.id === 'run' && f.payload?.status !== 'accepted');
    await until(async () => (await scrape(runtime.port)).value('openclaw_agent_runs_total', { status: 'ok' }) === 1);
    const after = await scrape(runtime.port);
    expect(after.value('openclaw_agent_run_duration_seconds_count')).toBe(1);
    expect(after.value('openclaw_agent_tokens_total', { model: 'fake/m1', kind: 'input' })).toBe(21);
    expect(after.value('openclaw_agent_tokens_total', { model: 'fake/m1', kind: 'output' })).toBe(4);
    expect(after.value('openclaw_agent_runs_active')).toBe(0);
    expect(after.value('openclaw_broadcast_events_total', { event: 'agent' })).toBeGreaterThan(0);
    expect(after.value('openclaw_broadcast_fanout_seconds_count')).toBeGreaterThan(0);
  });

  it('metrics.auth "token" asks local peers too; "none" asks nobody; enabled: false turns /metrics off', async () => {
    const strict = await start({}, { metrics: { auth: 'token' } });
    expect((await get(strict.port, '/metrics')).status).toBe(401);
    expect((await get(strict.port, '/metrics', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const open = await start({}, { metrics: { auth: 'none' } });
    expect((await get(open.port, '/metrics', { host: 'gateway.example.com' })).status).toBe(200);
    const off = await start({}, { metrics: { enabled: false } });
    expect((await get(off.port, '/metrics')).status).toBe(404);
    expect((await get(off.port, '/healthz')).status).toBe(200);
  });
});

describe('graceful drain', () => {
  it('/readyz flips first, new peers are refused, the run in flight completes, then shutdown and 1012', async () => {
    const model = await FakeModelServer.start('openai');
    cleanups.push(() => model.close());
    const runtime = await start(
      {
        agents: { defaults: { model: 'fake/m1' } },
        models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions', models: [{ id: 'm1' }] } } },
      } as never,
      { drainTimeoutMs: 10_000 },
    );
    const port = runtime.port;
    const client = await connectPeer(`ws://127.0.0.1:${port}`, TOKEN);
    expect((await get(port, '/readyz')).status).toBe(200);

    model.script({ text: ['draining ', 'is ', 'graceful'], delayMs: 250, usage: { input: 11, output: 3 } });
    const id = 'run-1';
    client.ws.send(JSON.stringify({ type: 'req', id, method: 'agent', params: { message: 'hello', sessionKey: 'main', idempotencyKey: 'drain-1' } }));
    const accepted = await client.next((f) => f.type === 'res' && f.id === id);
    expect(accepted.payload.status).toBe('accepted');
    await model.waitForRequests(1);

    const stopped = runtime.stop();
    await until(async () => (await get(port, '/readyz')).status === 503);
    const draining = JSON.parse((await get(port, '/readyz')).body);
    expect(draining).toMatchObject({ ready: false, checks: { started: true, draining: true } });
    expect((await get(port, '/healthz')).status).toBe(200);
    await expect(openPeer(`ws://127.0.0.1:${port}`)).rejects.toThrow(/503/);

    await stopped;
    const final = client.frames.findIndex((f) => f.type === 'res' && f.id === id && f.payload?.status !== 'accepted');
    const shutdown = client.frames.findIndex((f) => f.type === 'event' && f.event === 'shutdown');
    expect(final).toBeGreaterThan(-1);
    expect(client.frames[final]!.ok).toBe(true);
    expect(client.frames[final]!.payload.status).toBe('ok');
    expect(shutdown).toBeGreaterThan(final);
    expect((await client.closed).code).toBe(1012);
  }, 20_000);

  it('a run that outlasts drainTimeoutMs is aborted at the deadline, and the stop does not wait twice', async () => {
    const model = await FakeModelServer.start('openai');
    cleanups.push(() => model.close());
    const runtime = await start(
      {
        agents: { defaults: { model: 'fake/m1' } },
        models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions', models: [{ id: 'm1' }] } } },
      } as never,
      { drainTimeoutMs: 300 },
    );
    const client = await connectPeer(`ws://127.0.0.1:${runtime.port}`, TOKEN);
    model.script({ text: ['never ', 'ends'], hangAfter: 1 });
    client.ws.send(JSON.stringify({ type: 'req', id: 'hang', method: 'agent', params: { message: 'hello', sessionKey: 'main', idempotencyKey: 'drain-2' } }));
    await model.waitForRequests(1);
    const started = Date.now();
    await runtime.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    const final = client.frames.find((f) => f.type === 'res' && f.id === 'hang' && f.payload?.status !== 'accepted');
    expect(final?.payload).toMatchObject({ status: 'ok', result: expect.anything() });
  }, 20_000);
});
