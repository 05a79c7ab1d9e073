import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCliContext } from '../../bin/cli-context.js';
import { createMemoryPair } from '../../lib/memory-transport.js';
import type { TransportConnection } from '../../lib/transport.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { PendingConnectionQueue } from '../../runtime/pending-connection-queue.js';
import { TOKEN } from '../helpers/connect.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { findFreePort, openPeer } from '../bin/helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('connections that arrive while the gateway starts', () => {
  it('wait for the gateway and complete their handshake, instead of being closed with 1013', async () => {
    const home = await mkdtemp(join(tmpdir(), 'openclaw-pending-'));
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const configPath = join(home, 'openclaw.json');
    await writeFile(configPath, JSON.stringify({ gateway: { mode: 'local', auth: { token: TOKEN } } }), { mode: 0o600 });
    const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath });
    let finishStarting!: () => void;
    let setupReached!: () => void;
    const reached = new Promise<void>((resolve) => (setupReached = resolve));
    // Stands for channels that take a while to come up: the port is open, the gateway not ready.
    const slowChannels = {
      name: 'slow-channels',
      setup: () => {
        setupReached();
        return new Promise<void>((resolve) => (finishStarting = resolve));
      },
    };
    const port = await findFreePort();
    const runtime = new GatewayRuntime({ environment: ctx, overrides: { port: String(port) }, plugins: [slowChannels], logDir: join(home, 'logs') });
    const started = runtime.start();
    cleanups.push(() => runtime.stop());
    await reached;

    const peer = await openPeer(`ws://127.0.0.1:${port}`);
    cleanups.push(() => peer.ws.terminate());
    // A client that does not wait for the challenge: its early frame must not be lost.
    peer.ws.send(JSON.stringify({ type: 'req', id: 'early', method: 'connect', params: { minProtocol: 3, maxProtocol: 3, client: { id: 'test', version: '1', platform: 'linux', mode: 'probe' }, auth: { token: TOKEN } } }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(peer.frames).toEqual([]);
    expect(peer.ws.readyState).toBe(peer.ws.OPEN);

    finishStarting();
    await started;
    const hello = await peer.next((f) => f.type === 'res' && f.id === 'early');
    expect(hello.ok, JSON.stringify(hello.error)).toBe(true);
    expect(hello.payload.type).toBe('hello-ok');
  });
});

describe('PendingConnectionQueue', () => {
  it('closes a connection that waited longer than a handshake may take with 1013, and forgets one that left', async () => {
    const clock = new ManualClock();
    const queue = new PendingConnectionQueue({ maxWaitMs: 10_000, clock });
    const waiting = createMemoryPair();
    const leaving = createMemoryPair();
    queue.hold(waiting.server);
    queue.hold(leaving.server);
    leaving.client.close(1000, 'bye');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(queue.size).toBe(1);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (waiting.client.onclose = (code, reason) => resolve({ code, reason })));
    await clock.advance(10_000);
    expect(await closed).toEqual({ code: 1013, reason: 'gateway starting' });
    expect(queue.size).toBe(0);
  });

  it('hands connections over with the frames they sent while waiting, in order', () => {
    const queue = new PendingConnectionQueue({ maxWaitMs: 10_000, clock: new ManualClock() });
    const { server } = createMemoryPair();
    queue.hold(server);
    server.onmessage!('one');
    server.onmessage!('two');
    const seen: string[] = [];
    queue.release({
      accept(conn: TransportConnection) {
        conn.onmessage = (data) => seen.push(data);
      },
    });
    expect(seen).toEqual(['one', 'two']);
    expect(queue.size).toBe(0);
  });

  it('bounds what waits: frames per connection and the number of connections', async () => {
    const queue = new PendingConnectionQueue({ maxWaitMs: 10_000, maxPending: 2, clock: new ManualClock() });
    const chatty = createMemoryPair();
    queue.hold(chatty.server);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => (chatty.client.onclose = (code, reason) => resolve({ code, reason })));
    for (let i = 0; i < 40; i++) chatty.server.onmessage?.(`frame ${i}`);
    expect(await closed).toEqual({ code: 1008, reason: 'too many frames before hello-ok' });
    expect(queue.size).toBe(0);

    queue.hold(createMemoryPair().server);
    queue.hold(createMemoryPair().server);
    const third = createMemoryPair();
    const refused = new Promise<number>((resolve) => (third.client.onclose = (code) => resolve(code)));
    queue.hold(third.server);
    expect(await refused).toBe(1013);
    expect(queue.size).toBe(2);
  });
});
