/**
 * A companion node with a canvas, and the operator that drives it.
 *
 *   operator                        gateway                          node (role "node")
 *                                      <------ connect {role:"node", caps:["canvas"], commands:[canvas.*]}
 *                                      ------> hello-ok {pluginSurfaceUrls.canvas}
 *   node.pair.request / approve ----> (node.pair store: token for the node)
 *   node.list ----------------------> connected + paired nodes
 *   node.invoke {canvas.present} ---> event node.invoke.request {id, command, paramsJSON} --->
 *                                      <------ req node.invoke.result {id, ok, payload}
 *   <------------------------------- res {ok, nodeId, command, payload}
 *
 * The gateway serves the canvas files itself (CanvasHost, `/__openclaw__/canvas/`) and tells
 * nodes where in `hello-ok.pluginSurfaceUrls.canvas` (protocol 4; `canvasHostUrl` at protocol 3); the node here "presents" a page by fetching it from
 * there. Everything runs in this process on 127.0.0.1 with OS-chosen ports.
 *
 * Run: npx tsx examples/node-canvas.ts   (exits 0 when every check passes)
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createNodeDeviceSigner,
  Gateway,
  GatewayError,
  generateDeviceIdentity,
  type NodeInvokeRequestPayload,
} from 'clawgate';
import { GatewayClient } from 'clawgate/client';
import { CanvasHost } from 'clawgate/endpoints/canvas-host';
import { WebSocketTransport } from 'clawgate/transports/ws';
import { runExample } from './support/run-example.js';

/** The node side: a tiny "canvas" that can show a page from the canvas host and report on it. */
function startCanvasNode(url: string, token: string) {
  const identity = generateDeviceIdentity();
  const node = new GatewayClient({
    url,
    token,
    signer: createNodeDeviceSigner(identity),
    role: 'node',
    caps: ['canvas'],
    commands: ['canvas.present', 'canvas.snapshot'],
    client: { id: 'node-host', mode: 'node', displayName: 'Example canvas', version: '1.0.0', platform: process.platform },
    reconnect: false,
  });
  let page: { url: string; html: string } | undefined;

  async function run(request: NodeInvokeRequestPayload): Promise<unknown> {
    const params = request.paramsJSON ? (JSON.parse(request.paramsJSON) as { path?: string }) : {};
    switch (request.command) {
      case 'canvas.present': {
        const base = node.hello?.pluginSurfaceUrls?.canvas ?? node.hello?.canvasHostUrl;
        if (!base) throw new Error('this gateway has no canvas host');
        const pageUrl = `${base}/__openclaw__/canvas/${params.path ?? ''}`;
        const res = await fetch(pageUrl);
        if (!res.ok) throw new Error(`canvas page ${pageUrl} answered ${res.status}`);
        page = { url: pageUrl, html: await res.text() };
        return { url: pageUrl };
      }
      case 'canvas.snapshot':
        if (!page) throw new Error('nothing presented yet');
        return { url: page.url, title: /<title>(.*?)<\/title>/i.exec(page.html)?.[1] ?? null };
      default:
        throw new Error(`unsupported command ${request.command}`);
    }
  }

  // Every invoke gets exactly one result, success or error; the gateway matches it by `id`.
  node.on('node.invoke.request', (request) => {
    run(request)
      .then(
        (payload) => node.call('node.invoke.result', { id: request.id, nodeId: request.nodeId, ok: true, payload }),
        (err: Error) => node.call('node.invoke.result', { id: request.id, nodeId: request.nodeId, ok: false, error: { code: 'CANVAS_ERROR', message: err.message } }),
      )
      .catch((err: unknown) => console.error(`node.invoke.result for ${request.id} was not delivered: ${(err as Error).message}`));
  });
  return { node, nodeId: identity.deviceId };
}

async function main(): Promise<void> {
  const token = randomBytes(16).toString('hex');
  const canvasRoot = await mkdtemp(join(tmpdir(), 'openclaw-canvas-example-'));
  await writeFile(join(canvasRoot, 'index.html'), '<!doctype html><html><head><title>Hello canvas</title></head><body>hi</body></html>');

  const canvas = new CanvasHost({ root: canvasRoot, port: 0, host: '127.0.0.1' });
  const canvasPort = (await canvas.listen()).port;
  const gateway = new Gateway({ auth: { mode: 'token', token }, canvasHostUrl: `http://127.0.0.1:${canvasPort}` });
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const url = `ws://127.0.0.1:${(await transport.listen()).port}`;

  const { node, nodeId } = startCanvasNode(url, token);
  const operator = new GatewayClient({ url, token, client: { version: '1.0.0', platform: process.platform }, reconnect: false });
  try {
    const hello = await node.connect();
    assert.equal(hello.pluginSurfaceUrls?.canvas, `http://127.0.0.1:${canvasPort}`, 'hello-ok.pluginSurfaceUrls.canvas');
    console.log(`ok - node connected as ${nodeId.slice(0, 12)}…, canvas at ${hello.pluginSurfaceUrls?.canvas}`);
    await operator.connect();

    // Pairing through node.pair.*: request (idempotent per node), approve (fresh token), verify.
    const requested = await operator.call('node.pair.request', { nodeId, displayName: 'Example canvas', caps: ['canvas'], commands: ['canvas.present', 'canvas.snapshot'] });
    assert.equal(requested.status, 'pending');
    const { node: paired } = await operator.call('node.pair.approve', { requestId: requested.request.requestId });
    assert.match(paired.token, /^[0-9a-f]{32}$/, 'node token');
    assert.deepEqual(await operator.call('node.pair.verify', { nodeId, token: paired.token }), { ok: true, node: paired });
    console.log('ok - paired through node.pair.request / node.pair.approve');

    const { nodes } = await operator.call('node.list');
    assert.equal(nodes.length, 1, 'one node listed');
    assert.equal(nodes[0]!.nodeId, nodeId);
    assert.equal(nodes[0]!.connected, true, 'connected');
    assert.equal(nodes[0]!.paired, true, 'paired');
    assert.deepEqual(nodes[0]!.commands, ['canvas.present', 'canvas.snapshot']);
    console.log(`ok - node.list: ${nodes[0]!.displayName}, commands ${nodes[0]!.commands.join(', ')}`);

    const presented = await operator.call('node.invoke', { nodeId, command: 'canvas.present', params: { path: '' }, idempotencyKey: randomUUID() });
    assert.deepEqual(presented.payload, { url: `http://127.0.0.1:${canvasPort}/__openclaw__/canvas/` });
    const snapshot = await operator.call('node.invoke', { nodeId, command: 'canvas.snapshot', idempotencyKey: randomUUID(), timeoutMs: 5_000 });
    assert.deepEqual(snapshot.payload, { url: `http://127.0.0.1:${canvasPort}/__openclaw__/canvas/`, title: 'Hello canvas' });
    console.log('ok - node.invoke canvas.present + canvas.snapshot answered by the node');

    const missing = await operator
      .call('node.invoke', { nodeId, command: 'canvas.present', params: { path: 'missing.html' }, idempotencyKey: randomUUID() })
      .then(() => undefined, (err: unknown) => err);
    assert.ok(missing instanceof GatewayError, 'a node error rejects the invoke');
    assert.equal(missing.code, 'UNAVAILABLE');
    assert.match(missing.message, /answered 404/);
    const refused = await operator.call('node.invoke', { nodeId, command: 'camera.snap', idempotencyKey: randomUUID() }).then(() => undefined, (err: GatewayError) => err.message);
    assert.equal(refused, 'node command not allowed', 'an undeclared command is refused by the gateway');
    console.log('ok - node errors and undeclared commands come back as errors');
  } finally {
    node.close();
    operator.close();
    await gateway.close();
    await transport.close();
    await canvas.close();
    await rm(canvasRoot, { recursive: true, force: true });
  }
}

runExample('node-canvas', main, 15_000);
