import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayClient } from '../../../lib/client/index.js';
import { FileStorage } from '../../../lib/file-storage.js';
import type { GatewayOptions } from '../../../lib/gateway.js';
import { startNode, startOperator, startWsGateway, type WsGateway } from '../../helpers/nodes.js';

/** `node.pair.*` over WebSocket (protocol §6.8), its pairing-scoped events, and restarts. */
describe('node.pair methods', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function gateway(overrides: Partial<GatewayOptions> = {}): Promise<WsGateway> {
    const gw = await startWsGateway(overrides);
    cleanup.push(() => gw.close());
    return gw;
  }

  async function operator(url: string, scopes?: string[]): Promise<GatewayClient> {
    const client = await startOperator(url, scopes ? { scopes } : {});
    cleanup.push(() => client.close());
    return client;
  }

  it('request -> list -> approve -> verify, with events only for pairing-scoped operators', async () => {
    const gw = await gateway();
    const admin = await operator(gw.url);
    const pairer = await operator(gw.url, ['operator.pairing']);
    const reader = await operator(gw.url, ['operator.read', 'operator.write']);
    const node = await startNode(gw.url);
    cleanup.push(() => node.client.close());
    const seen = { admin: [] as string[], pairer: [] as string[], reader: [] as string[], node: [] as string[] };
    for (const [name, client] of [['admin', admin], ['pairer', pairer], ['reader', reader], ['node', node.client]] as const) {
      client.on('node.pair.requested', (p) => seen[name].push(`requested ${p.nodeId}`));
      client.on('node.pair.resolved', (p) => seen[name].push(`${p.decision} ${p.nodeId}`));
    }

    const first = await pairer.call('node.pair.request', { nodeId: 'pi-1', displayName: 'Pi', platform: 'linux', caps: ['canvas'], commands: ['canvas.eval'] });
    expect(first).toEqual({
      status: 'pending',
      created: true,
      request: { requestId: expect.any(String), nodeId: 'pi-1', displayName: 'Pi', platform: 'linux', caps: ['canvas'], commands: ['canvas.eval'], isRepair: false, ts: expect.any(Number) },
    });
    const again = await admin.call('node.pair.request', { nodeId: 'pi-1' });
    expect(again).toEqual({ status: 'pending', created: false, request: first.request });
    expect((await admin.call('node.pair.list')).pending).toEqual([first.request]);

    const approved = await pairer.call('node.pair.approve', { requestId: first.request.requestId });
    expect(approved).toEqual({
      requestId: first.request.requestId,
      node: {
        nodeId: 'pi-1',
        token: expect.stringMatching(/^[0-9a-f]{32}$/),
        displayName: 'Pi',
        platform: 'linux',
        caps: ['canvas'],
        commands: ['canvas.eval'],
        createdAtMs: expect.any(Number),
        approvedAtMs: expect.any(Number),
      },
    });
    expect(await admin.call('node.pair.list')).toEqual({ pending: [], paired: [approved.node] });
    expect(await admin.call('node.pair.verify', { nodeId: 'pi-1', token: approved.node.token })).toEqual({ ok: true, node: approved.node });
    expect(await admin.call('node.pair.verify', { nodeId: 'pi-1', token: 'f'.repeat(32) })).toEqual({ ok: false });

    const second = await admin.call('node.pair.request', { nodeId: 'pi-2' });
    await expect(admin.call('node.pair.reject', { requestId: second.request.requestId })).resolves.toEqual({ requestId: second.request.requestId, nodeId: 'pi-2' });
    await expect(admin.call('node.pair.approve', { requestId: second.request.requestId })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'unknown requestId',
    });

    const expected = ['requested pi-1', 'approved pi-1', 'requested pi-2', 'rejected pi-2'];
    await vi.waitFor(() => expect(seen.pairer).toEqual(expected));
    await vi.waitFor(() => expect(seen.admin).toEqual(expected));
    // A later broadcast that everyone gets proves the filtered ones were not merely slow.
    const marker = new Promise((resolve) => reader.on('presence', resolve));
    await admin.call('system-event', { text: 'marker', instanceId: 'marker' });
    await marker;
    expect(seen.reader).toEqual([]);
    expect(seen.node).toEqual([]);
    await expect(reader.call('node.pair.list')).rejects.toMatchObject({ message: 'missing scope: operator.pairing' });
    await expect(node.client.call('node.pair.list')).rejects.toMatchObject({ message: 'unauthorized role: node' });
  });

  it('pairing state survives a gateway restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oc-node-pair-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const first = await startWsGateway({ storage: new FileStorage(dir) });
    const op1 = await startOperator(first.url);
    const { request } = await op1.call('node.pair.request', { nodeId: 'pi-1', displayName: 'Pi' });
    const { node } = await op1.call('node.pair.approve', { requestId: request.requestId });
    const pending = await op1.call('node.pair.request', { nodeId: 'pi-2' });
    op1.close();
    await first.close();

    const second = await gateway({ storage: new FileStorage(dir) });
    const op2 = await operator(second.url);
    const list = await op2.call('node.pair.list');
    expect(list.paired).toEqual([node]);
    expect(list.pending).toEqual([pending.request]);
    expect(await op2.call('node.pair.verify', { nodeId: 'pi-1', token: node.token })).toMatchObject({ ok: true });
    const listed = await op2.call('node.list');
    expect(listed.nodes).toEqual([expect.objectContaining({ nodeId: 'pi-1', displayName: 'Pi', paired: true, connected: false })]);
    await op2.call('node.pair.approve', { requestId: pending.request.requestId });
  });
});
