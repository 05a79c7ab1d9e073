/**
 * Embedding a Gateway in an HTTP server the host already has.
 *
 * The host owns a `node:http` server with its own routes (here `GET /hello`). The Gateway is
 * attached next to them: `WebSocketTransport` in `server` mode listens to the server's `upgrade`
 * event for `/gateway` and leaves every plain HTTP request to the host. The example then checks,
 * from the outside and in-process, that both sides work and that shutdown reaches the client.
 *
 * Run: npx tsx examples/embed-http-server.ts   (exits 0 when every check passes)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gateway, type PresenceEntry } from 'clawgate';
import { GatewayClient } from 'clawgate/client';
import { WebSocketTransport } from 'clawgate/transports/ws';
import { runExample, withTimeout } from './support/run-example.js';

async function main(): Promise<void> {
  const token = randomBytes(16).toString('hex');

  // 1. The host's own server and route, exactly as it had them before the Gateway.
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/hello') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello from the host');
      return;
    }
    res.writeHead(404).end();
  });

  // 2. The Gateway, and the transport that feeds it the WebSocket peers of this server.
  //    Alternative: `new WebSocketTransport({ sink: gateway, noServer: true })`, and in the host's
  //    own `server.on('upgrade', (req, socket, head) => ...)` call `transport.handleUpgrade(req,
  //    socket, head)` for the requests it wants to hand over (after its own routing or auth).
  const gateway = new Gateway({ auth: { mode: 'token', token }, version: 'embed-example' });
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, server, path: '/gateway' });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const base = `127.0.0.1:${port}`;

  let client: GatewayClient | undefined;
  try {
    // Check: the host's route still answers, untouched by the transport.
    const res = await fetch(`http://${base}/hello`);
    assert.equal(res.status, 200, 'GET /hello status');
    assert.equal(await res.text(), 'hello from the host', 'GET /hello body');
    console.log('ok - GET /hello answered by the host route');

    // The host can watch the Gateway's events in-process; `on` returns the unsubscribe function.
    const instanceId = 'embed-http-server-example';
    const presenceSeen = new Promise<PresenceEntry[]>((resolve) => {
      const off = gateway.on('presence', ({ presence }) => {
        if (!presence.some((entry) => entry.instanceId === instanceId)) return;
        off();
        resolve(presence);
      });
    });

    // Check: a client over ws connects with the token and gets hello-ok.
    // This client lives only as long as the example, so it does not reconnect after shutdown.
    client = new GatewayClient({
      url: `ws://${base}/gateway`,
      token,
      client: { displayName: 'embed example', version: '1.0.0', platform: process.platform, instanceId },
      reconnect: false,
    });
    const hello = await client.connect();
    assert.equal(hello.type, 'hello-ok', 'connect answer');
    assert.equal(hello.server.version, 'embed-example', 'hello-ok server.version');
    assert.ok(hello.features.methods.includes('health'), 'hello-ok advertises health');
    console.log(`ok - connected over ws, protocol ${hello.protocol}, connId ${hello.server.connId}`);

    // Check: a typed call over the wire.
    const health = await client.call('health');
    assert.equal(health.ok, true, 'health.ok');
    console.log('ok - health returned ok:true');

    // Check: the in-process listener heard the client join.
    await withTimeout(presenceSeen, 'a presence event listing the client');
    console.log('ok - gateway.on("presence") fired for the client');

    // Check: in-process calls reach the same state the wire clients see.
    const presence = await gateway.call('system-presence', {});
    const mine = presence.find((entry) => entry.instanceId === instanceId);
    assert.ok(mine, `system-presence lists the client (got ${JSON.stringify(presence)})`);
    assert.equal(mine.host, 'embed example', 'presence host is the displayName');
    console.log('ok - gateway.call("system-presence") lists the client');

    // Check: closing the Gateway tells the client why before its socket closes (1012).
    const shutdown = new Promise<string>((resolve) => client!.on('shutdown', ({ reason }) => resolve(reason)));
    const closed = new Promise<number>((resolve) => client!.on('close', ({ code }) => resolve(code)));
    await gateway.close({ reason: 'host is shutting down' });
    assert.equal(await withTimeout(shutdown, 'the shutdown event'), 'host is shutting down', 'shutdown reason');
    assert.equal(await withTimeout(closed, 'the client socket to close'), 1012, 'close code after shutdown');
    console.log('ok - the client got a shutdown event, then close 1012');
  } finally {
    // Tear down in reverse order; each close is idempotent, so this is safe after a failure too.
    client?.close();
    await gateway.close();
    await transport.close(); // detaches from the host's server; the server stays the host's
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

runExample('embed-http-server', main, 10_000);
