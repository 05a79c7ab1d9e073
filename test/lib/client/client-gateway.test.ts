import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../../lib/client/index.js';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../../lib/device-identity.js';
import type { Gateway } from '../../../lib/gateway.js';
import { connectMemory } from '../../../lib/memory-transport.js';
import { devicesService } from '../../../lib/services.js';
import { WebSocketTransport } from '../../../transports/ws.js';
import { TOKEN } from '../../helpers/connect.js';
import { createTestGateway } from '../../transports/contract.js';

/** The typed client against the real Gateway, over real sockets and over the memory pair. */
describe('GatewayClient against a real gateway', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function serve(port = 0): Promise<{ gateway: Gateway; port: number; stop: () => Promise<void> }> {
    const gateway = createTestGateway();
    await gateway.start();
    const transport = new WebSocketTransport({ sink: gateway, port, host: '127.0.0.1' });
    const bound = await transport.listen();
    const stop = async () => {
      await gateway.close({ reason: 'restart', restartExpectedMs: 100 });
      await transport.close();
    };
    cleanup.push(stop);
    return { gateway, port: bound.port, stop };
  }

  it('connects with a signed identity, receives a device token and calls typed methods', async () => {
    const { port, gateway } = await serve();
    const identity = generateDeviceIdentity();
    const client = new GatewayClient({
      url: `ws://127.0.0.1:${port}`,
      token: TOKEN,
      signer: createNodeDeviceSigner(identity),
      client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
      reconnect: false,
    });
    cleanup.push(() => client.close());
    const tokens: string[] = [];
    client.on('device-token', ({ deviceToken }) => tokens.push(deviceToken));
    const hello = await client.connect();
    expect(hello.protocol).toBe(4);
    expect(tokens).toEqual([hello.auth!.deviceToken]);
    const health = await client.call('health', { probe: true });
    expect(health.ok).toBe(true);
    const presence = await client.call('system-presence');
    expect(presence.some((p) => p.deviceId === identity.deviceId)).toBe(true);
    expect(gateway.service(devicesService).getPaired(identity.deviceId)).toBeDefined();

    // The device token alone is enough next time.
    const again = new GatewayClient({
      url: `ws://127.0.0.1:${port}`,
      deviceToken: tokens[0],
      signer: createNodeDeviceSigner(identity),
      client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
      reconnect: false,
    });
    cleanup.push(() => again.close());
    await again.connect();
    await expect(again.call('nope.method' as string, {})).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown method: nope.method' });
  });

  it('reconnects on its own after the gateway restarts on the same port', async () => {
    const first = await serve();
    const client = new GatewayClient({
      url: `ws://127.0.0.1:${first.port}`,
      token: TOKEN,
      client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    cleanup.push(() => client.close());
    await client.connect();
    const shutdown = new Promise((resolve) => client.on('shutdown', resolve));
    const closed = new Promise<{ code: number }>((resolve) => client.on('close', resolve));
    const rehello = new Promise((resolve) => client.on('hello', resolve));
    await first.stop();
    expect(await shutdown).toEqual({ reason: 'restart', restartExpectedMs: 100 });
    expect((await closed).code).toBe(1012);
    await serve(first.port);
    await rehello;
    expect((await client.call('status')).queuedSystemEvents).toEqual([]);
  });

  it('runs over the in-memory transport through createSocket', async () => {
    const gateway = createTestGateway();
    await gateway.start();
    cleanup.push(() => gateway.close());
    const client = new GatewayClient({
      url: 'memory://gateway',
      token: TOKEN,
      client: { id: 'test', mode: 'backend', version: '1', platform: 'linux' },
      reconnect: false,
      createSocket: () => {
        const socket = connectMemory(gateway);
        const like = {
          get readyState() {
            return socket.readyState;
          },
          send: (d: string) => socket.send(d),
          close: (c?: number, r?: string) => socket.close(c, r),
          onmessage: null as null | ((e: { data: unknown }) => void),
          onclose: null as null | ((e: { code: number; reason: string }) => void),
          onerror: null,
        };
        socket.onmessage = (data) => like.onmessage?.({ data });
        socket.onclose = (code, reason) => like.onclose?.({ code, reason });
        return like;
      },
    });
    cleanup.push(() => client.close());
    await client.connect();
    const events: number[] = [];
    const off = client.on('presence', (p) => events.push(p.presence.length));
    const first = new Promise((resolve) => client.on('presence', resolve));
    await client.call('system-event', { text: 'hello from memory', instanceId: 'mem-1' });
    await first;
    expect(events).toHaveLength(1);
    off();
    const second = new Promise((resolve) => client.on('presence', resolve));
    await client.call('system-event', { text: 'again', instanceId: 'mem-1' });
    await second;
    expect(events).toHaveLength(1);
  });
});
