import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayClient } from '../../../lib/client/index.js';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../../lib/device-identity.js';
import type { NodeEvent } from '../../../lib/nodes/node-registry.js';
import { nodesService } from '../../../lib/services.js';
import { startNode, startOperator, startWsGateway, type WsGateway } from '../../helpers/nodes.js';

/** Nodes end to end over real WebSockets: pairing, listing, presence, invokes (protocol §3.3, §5, §6.7). */
describe('node methods over WebSocket', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function gateway(overrides: Parameters<typeof startWsGateway>[0] = {}): Promise<WsGateway> {
    const gw = await startWsGateway(overrides);
    cleanup.push(() => gw.close());
    return gw;
  }

  function track<T extends { close(): void }>(client: T): T {
    cleanup.push(() => client.close());
    return client;
  }

  async function operator(url: string, scopes?: string[]): Promise<GatewayClient> {
    return track(await startOperator(url, scopes ? { scopes } : {}));
  }

  it('a remote node needs device pairing approval, then shows in node.list and system-presence and answers an invoke', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const identity = generateDeviceIdentity();
    const signer = createNodeDeviceSigner(identity);
    const requested = new Promise<{ requestId: string; role?: string }>((resolve) => op.on('device.pair.requested', resolve));

    const refused = startNode(gw.url, { signer, remote: true, displayName: 'Kitchen iPad' });
    await expect(refused).rejects.toMatchObject({ code: 'NOT_PAIRED', message: 'pairing required' });
    const request = await requested;
    expect(request.role).toBe('node');
    await op.call('device.pair.approve', { requestId: request.requestId });

    const node = await startNode(gw.url, { signer, remote: true, displayName: 'Kitchen iPad' });
    track(node.client);
    const { nodes } = await op.call('node.list');
    expect(nodes).toEqual([
      expect.objectContaining({
        nodeId: identity.deviceId,
        displayName: 'Kitchen iPad',
        platform: 'linux',
        version: '1.2.3',
        caps: ['canvas'],
        commands: ['canvas.eval', 'canvas.snapshot'],
        paired: true,
        connected: true,
        connectedAtMs: expect.any(Number),
      }),
    ]);
    const presence = await op.call('system-presence');
    expect(presence).toContainEqual(expect.objectContaining({ deviceId: identity.deviceId, mode: 'node', roles: ['node'] }));

    const result = await op.call('node.invoke', {
      nodeId: identity.deviceId,
      command: 'canvas.eval',
      params: { js: '1+1' },
      idempotencyKey: 'k-1',
    });
    expect(result).toEqual({ ok: true, nodeId: identity.deviceId, command: 'canvas.eval', payload: { echo: { js: '1+1' } }, payloadJSON: null });
    expect(node.requests).toEqual([
      { id: expect.any(String), nodeId: identity.deviceId, command: 'canvas.eval', paramsJSON: '{"js":"1+1"}', timeoutMs: 30_000, idempotencyKey: 'k-1' },
    ]);
    expect(gw.gateway.service(nodesService).pendingCount).toBe(0);
  });

  it('relays payloadJSON parsed, and node errors as UNAVAILABLE with details.nodeError', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const node = await startNode(gw.url, {
      answer: (req) =>
        req.command === 'canvas.eval'
          ? { ok: true, payloadJSON: '{"value":2}' }
          : { ok: false, error: { code: 'CANVAS_HIDDEN', message: 'canvas is not visible' } },
    });
    track(node.client);
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'a' })).resolves.toEqual({
      ok: true,
      nodeId: 'node-host',
      command: 'canvas.eval',
      payload: { value: 2 },
      payloadJSON: '{"value":2}',
    });
    expect(node.requests[0]!.paramsJSON).toBeNull();
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.snapshot', idempotencyKey: 'b' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'canvas is not visible',
      details: { nodeError: { code: 'CANVAS_HIDDEN', message: 'canvas is not visible' } },
    });
  });

  it('times out a silent node with the §6.7 error and forgets the invoke', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const node = await startNode(gw.url, { answer: () => 'silent' });
    track(node.client);
    await expect(
      op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', timeoutMs: 50, idempotencyKey: 't' }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'node invoke timed out',
      details: { nodeError: { code: 'TIMEOUT', message: 'node invoke timed out' } },
    });
    expect(gw.gateway.service(nodesService).pendingCount).toBe(0);
    // The answer that comes too late is acknowledged and ignored.
    const late = await node.client.call('node.invoke.result', { id: node.requests[0]!.id, nodeId: 'node-host', ok: true, payload: 1 });
    expect(late).toEqual({ ok: true, ignored: true });
  });

  it('fails pending invokes at once when the node drops', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const node = await startNode(gw.url, { answer: () => 'silent' });
    const invokes = [
      op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'd1' }),
      op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.snapshot', idempotencyKey: 'd2' }),
    ];
    await vi.waitFor(() => expect(node.requests).toHaveLength(2));
    node.client.close();
    await expect(invokes[0]).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'node disconnected (canvas.eval)' });
    await expect(invokes[1]).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'node disconnected (canvas.snapshot)' });
    expect(gw.gateway.service(nodesService).pendingCount).toBe(0);
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'd3' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'node not connected',
      details: { code: 'NOT_CONNECTED' },
    });
  });

  it('refuses commands outside (declared ∩ allowlist), and drops undeclared-by-policy commands at connect', async () => {
    const gw = await gateway({ nodes: { allowCommands: ['browser.proxy'], denyCommands: ['canvas.snapshot'] } });
    const op = await operator(gw.url);
    const node = await startNode(gw.url, { commands: ['canvas.eval', 'canvas.snapshot', 'browser.proxy', 'sms.send'] });
    track(node.client);
    const described = await op.call('node.describe', { nodeId: 'node-host' });
    expect(described).toMatchObject({ nodeId: 'node-host', commands: ['browser.proxy', 'canvas.eval'], connected: true, paired: false });
    expect(described.ts).toEqual(expect.any(Number));
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'sms.send', idempotencyKey: 'x' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'node command not allowed',
      details: { reason: 'command not allowlisted', command: 'sms.send' },
    });
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.snapshot', idempotencyKey: 'x' })).rejects.toMatchObject({
      details: { reason: 'command not allowlisted', command: 'canvas.snapshot' },
    });
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'camera.snap', idempotencyKey: 'x' })).rejects.toMatchObject({
      message: 'node command not allowed',
      details: { reason: 'command not declared by node', command: 'camera.snap' },
    });
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'browser.proxy', idempotencyKey: 'x' })).resolves.toMatchObject({ ok: true });
    expect(node.requests.map((r) => r.command)).toEqual(['browser.proxy']);
  });

  it('keeps node-only methods from operators and operator methods from nodes', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const node = await startNode(gw.url);
    track(node.client);
    await expect(op.call('node.invoke.result', { id: 'x', nodeId: 'node-host', ok: true })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'unauthorized role: operator',
    });
    await expect(op.call('node.event', { event: 'exec.started' })).rejects.toMatchObject({ message: 'unauthorized role: operator' });
    await expect(node.client.call('node.list')).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unauthorized role: node' });
    await expect(node.client.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'n' })).rejects.toMatchObject({
      message: 'unauthorized role: node',
    });
    await expect(node.client.call('node.invoke.result', { id: 'x', nodeId: 'someone-else', ok: true })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'nodeId mismatch',
    });
    await expect(node.client.call('node.invoke.result', { id: 'unknown', nodeId: 'node-host', ok: true })).resolves.toEqual({ ok: true, ignored: true });
    // The read scope lists nodes; invoking needs write.
    const reader = await operator(gw.url, ['operator.read']);
    await expect(reader.call('node.list')).resolves.toMatchObject({ nodes: [expect.objectContaining({ nodeId: 'node-host' })] });
    await expect(reader.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'r' })).rejects.toMatchObject({
      message: 'missing scope: operator.write',
    });
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval' } as never)).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('invalid node.invoke params'),
    });
  });

  it('node.event reaches node registry listeners as a typed node event', async () => {
    const gw = await gateway();
    const node = await startNode(gw.url);
    track(node.client);
    const seen: NodeEvent[] = [];
    gw.gateway.service(nodesService).onEvent((event) => seen.push(event));
    await node.client.call('node.event', { event: 'exec.started', payload: { sessionKey: 'main', runId: 'r1', command: 'ls' } });
    await node.client.call('node.event', { event: 'exec.finished', payloadJSON: '{"sessionKey":"main","exitCode":0}' });
    await expect(node.client.call('node.event', { event: 'exec.denied', payloadJSON: '{' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(seen).toEqual([
      expect.objectContaining({ nodeId: 'node-host', event: 'exec.started', payload: { sessionKey: 'main', runId: 'r1', command: 'ls' }, payloadJSON: null }),
      expect.objectContaining({ nodeId: 'node-host', event: 'exec.finished', payload: { sessionKey: 'main', exitCode: 0 } }),
    ]);
  });

  it('lists paired-but-offline nodes after connected ones, and node.rename renames them', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const { request } = await op.call('node.pair.request', { nodeId: 'aaa-offline', displayName: 'Attic Pi', platform: 'linux', commands: ['system.run', 'sms.send'] });
    await op.call('node.pair.approve', { requestId: request.requestId });
    const node = await startNode(gw.url, { displayName: 'Zebra' });
    track(node.client);
    const { nodes } = await op.call('node.list');
    expect(nodes.map((n) => [n.nodeId, n.displayName, n.connected, n.paired])).toEqual([
      ['node-host', 'Zebra', true, false],
      ['aaa-offline', 'Attic Pi', false, true],
    ]);
    expect(nodes[1]!.commands).toEqual(['system.run']);
    await expect(op.call('node.rename', { nodeId: 'aaa-offline', displayName: '  Loft Pi ' })).resolves.toEqual({ nodeId: 'aaa-offline', displayName: 'Loft Pi' });
    expect((await op.call('node.describe', { nodeId: 'aaa-offline' })).displayName).toBe('Loft Pi');
    await expect(op.call('node.rename', { nodeId: 'node-host', displayName: 'x' })).rejects.toMatchObject({ message: 'unknown nodeId' });
    await expect(op.call('node.rename', { nodeId: 'aaa-offline', displayName: '   ' })).rejects.toMatchObject({ message: 'displayName required' });
    await expect(op.call('node.describe', { nodeId: 'nope' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown nodeId' });
  });

  it('renames a device-paired node, and the new name wins over the one it announces', async () => {
    const gw = await gateway();
    const op = await operator(gw.url);
    const identity = generateDeviceIdentity();
    // Local peers are paired on the spot.
    const node = await startNode(gw.url, { signer: createNodeDeviceSigner(identity), displayName: 'Phone' });
    track(node.client);
    await op.call('node.rename', { nodeId: identity.deviceId, displayName: 'Work phone' });
    const described = await op.call('node.describe', { nodeId: identity.deviceId });
    expect(described).toMatchObject({ displayName: 'Work phone', paired: true, connected: true });
  });

  it('advertises the canvas host in hello-ok when configured: pluginSurfaceUrls.canvas at protocol 4', async () => {
    const plain = await gateway();
    const withCanvas = await gateway({ canvasHostUrl: 'http://127.0.0.1:18793' });
    const node = await startNode(withCanvas.url);
    track(node.client);
    expect(node.hello.protocol).toBe(4);
    expect(node.hello.pluginSurfaceUrls).toEqual({ canvas: 'http://127.0.0.1:18793' });
    expect(node.hello.canvasHostUrl).toBeUndefined();
    const op = await operator(plain.url);
    expect(op.hello!.pluginSurfaceUrls).toBeUndefined();
    expect(node.hello.features.events).toContain('node.invoke.request');
    expect(node.hello.features.methods).toEqual(expect.arrayContaining(['node.list', 'node.invoke', 'node.invoke.result', 'node.event', 'node.pair.verify']));
  });
});

