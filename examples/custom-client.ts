/**
 * A custom minimal client: the plain `ws` package plus the generated wire types, no GatewayClient.
 * Use it as the map for writing a client in another stack. It starts its own Gateway on
 * 127.0.0.1:0, then talks to it frame by frame.
 *
 * How the frames flow (protocol.md sections 2-3):
 *
 *   client                                         gateway
 *   (open WebSocket) ----------------------------->
 *                    <----------------------------- event connect.challenge {nonce, ts}
 *   req connect {ConnectParams} ------------------>  (auth, then presence)
 *                    <----------------------------- res ok:true  payload: HelloOk
 *   req health {} -------------------------------->
 *                    <----------------------------- res ok:true  payload: HealthSummary
 *                    <----------------------------- event presence {presence}, seq n   (any time)
 *
 * Requests and responses are matched by `id` only: responses may come in any order, and events
 * are interleaved with them. Broadcast events carry a growing `seq`.
 *
 * Run: npx tsx examples/custom-client.ts   (exits 0 when every check passes)
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import type {
  ConnectParams,
  EventFrame,
  HealthSummary,
  HelloOk,
  PresenceEntry,
  RequestFrame,
  ResponseFrame,
} from 'clawgate/protocol';
// Only the server side of the example uses the library.
import { Gateway } from 'clawgate';
import { WebSocketTransport } from 'clawgate/transports/ws';
import { runExample, withTimeout } from './support/run-example.js';

type Frame = RequestFrame | ResponseFrame | EventFrame;

/** One WebSocket and the frames that arrived on it, readable in order with `next(...)`. */
interface Peer {
  ws: WebSocket;
  /** Resolves with the first frame (past or future) that matches, and consumes it. */
  next<F extends Frame>(match: (frame: Frame) => frame is F, what: string): Promise<F>;
  /** Sends a request and resolves with the `res` carrying its id. */
  request(method: string, params?: unknown): Promise<ResponseFrame>;
}

async function openPeer(url: string): Promise<Peer> {
  const ws = new WebSocket(url);
  const inbox: Frame[] = [];
  const waiters = new Set<() => void>();
  let nextId = 0;

  ws.on('message', (data) => {
    // Every WebSocket text frame is exactly one JSON object.
    inbox.push(JSON.parse(String(data)) as Frame);
    for (const wake of [...waiters]) wake();
  });

  const peer: Peer = {
    ws,
    next<F extends Frame>(match: (frame: Frame) => frame is F, what: string): Promise<F> {
      return withTimeout(
        new Promise<F>((resolve) => {
          const look = (): void => {
            const index = inbox.findIndex(match);
            if (index === -1) return;
            waiters.delete(look);
            resolve(inbox.splice(index, 1)[0] as F);
          };
          waiters.add(look);
          look();
        }),
        what,
      );
    },
    request(method, params = {}) {
      const frame: RequestFrame = { type: 'req', id: `r${++nextId}`, method, params };
      ws.send(JSON.stringify(frame));
      return peer.next((f): f is ResponseFrame => f.type === 'res' && f.id === frame.id, `the res to ${method}`);
    },
  };

  await withTimeout(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      // Kept for the socket's lifetime: `ws` throws an 'error' nobody listens to.
      ws.on('error', reject);
    }),
    `the socket to ${url} to open`,
  );
  return peer;
}

const isEvent =
  (name: string) =>
  (frame: Frame): frame is EventFrame =>
    frame.type === 'event' && frame.event === name;

/** The handshake: wait for the challenge, answer with `connect`, get `hello-ok` (or an error). */
async function handshake(peer: Peer, token: string, instanceId: string): Promise<HelloOk> {
  const challenge = await peer.next(isEvent('connect.challenge'), 'connect.challenge');
  assert.equal(typeof (challenge.payload as { nonce?: unknown }).nonce, 'string', 'challenge nonce');
  // The nonce only matters for signed device identities; a shared token needs no signature.

  const params: ConnectParams = {
    minProtocol: 3,
    maxProtocol: 3,
    client: { id: 'gateway-client', version: '1.0.0', platform: process.platform, mode: 'backend', instanceId },
    auth: { token },
  };
  const res = await peer.request('connect', params);
  assert.ok(res.ok, `connect refused: ${JSON.stringify(res.error)}`);
  return res.payload as HelloOk;
}

async function main(): Promise<void> {
  // The server side: a Gateway and a WebSocket transport that owns its server, on a free port.
  const token = randomBytes(16).toString('hex');
  const gateway = new Gateway({ auth: { mode: 'token', token } });
  await gateway.start();
  const transport = new WebSocketTransport({ sink: gateway, port: 0, host: '127.0.0.1' });
  const { port } = await transport.listen();
  const url = `ws://127.0.0.1:${port}`;

  const peers: Peer[] = [];
  try {
    // Check: the handshake gives a typed hello-ok.
    const first = await openPeer(url);
    peers.push(first);
    const hello = await handshake(first, token, 'custom-client-1');
    assert.equal(hello.type, 'hello-ok', 'hello.type');
    assert.equal(hello.protocol, 3, 'negotiated protocol');
    assert.ok(hello.features.methods.includes('system-presence'), 'hello-ok advertises system-presence');
    assert.ok(hello.policy.tickIntervalMs > 0, 'hello-ok carries the policy');
    console.log(`ok - hello-ok: protocol ${hello.protocol}, ${hello.features.methods.length} methods, connId ${hello.server.connId}`);

    // Check: health.
    const health = await first.request('health');
    assert.ok(health.ok, `health failed: ${JSON.stringify(health.error)}`);
    assert.equal((health.payload as HealthSummary).ok, true, 'health payload ok');
    console.log('ok - health returned ok:true');

    // Check: system-presence is a bare array that lists this client.
    const listed = await first.request('system-presence');
    assert.ok(listed.ok, `system-presence failed: ${JSON.stringify(listed.error)}`);
    const presence = listed.payload as PresenceEntry[];
    assert.ok(
      presence.some((entry) => entry.instanceId === 'custom-client-1'),
      `system-presence lists the client (got ${JSON.stringify(presence)})`,
    );
    console.log(`ok - system-presence lists ${presence.length} entries, this client among them`);

    // Check: a second connection joining is announced to the first as a `presence` event.
    // Presence events that came before (our own join) are skipped by the match.
    const joined = first.next(
      (frame): frame is EventFrame =>
        isEvent('presence')(frame) &&
        (frame.payload as { presence: PresenceEntry[] }).presence.some((entry) => entry.instanceId === 'custom-client-2'),
      'a presence event listing the second connection',
    );
    const second = await openPeer(url);
    peers.push(second);
    await handshake(second, token, 'custom-client-2');
    const event = await joined;
    assert.equal(typeof event.seq, 'number', 'broadcast events carry a seq');
    console.log(`ok - presence event (seq ${event.seq}) announced the second connection`);

    // Check: an error is a `res` with ok:false and a wire error code, and the socket stays open.
    const unknown = await first.request('no.such.method');
    assert.equal(unknown.ok, false, 'unknown method ok');
    assert.equal(unknown.error?.code, 'INVALID_REQUEST', 'unknown method error code');
    assert.equal(first.ws.readyState, WebSocket.OPEN, 'socket still open after an error');
    console.log(`ok - unknown method: ${unknown.error?.code} "${unknown.error?.message}"`);
  } finally {
    for (const peer of peers) peer.ws.terminate();
    await gateway.close();
    await transport.close();
  }
}

runExample('custom-client', main, 10_000);
