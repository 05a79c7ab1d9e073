import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock, type Clock, type TimerHandle } from '../../../lib/clock.js';
import { GatewayError } from '../../../lib/errors.js';
import { NodeRegistry, nodeIdOf } from '../../../lib/nodes/node-registry.js';
import { createNodeDeviceSigner, generateDeviceIdentity } from '../../../lib/device-identity.js';
import { startNode, startOperator, startWsGateway, type TestNode, type WsGateway } from '../../helpers/nodes.js';
import { nodesService } from '../../../lib/services.js';

/** The process clock, counting the one-shot timers still armed (intervals are not counted). */
function countingClock(): Clock & { armed(): number } {
  const live = new Set<TimerHandle>();
  return {
    now: () => systemClock.now(),
    setTimeout(fn, ms) {
      const handle: TimerHandle = systemClock.setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimeout(handle) {
      live.delete(handle);
      systemClock.clearTimeout(handle);
    },
    setInterval: (fn, ms) => systemClock.setInterval(fn, ms),
    clearInterval: (h) => systemClock.clearInterval(h),
    armed: () => live.size,
  };
}

describe('NodeRegistry', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function gatewayWith(clock: Clock): Promise<WsGateway> {
    const gw = await startWsGateway({ clock });
    cleanup.push(() => gw.close());
    return gw;
  }

  it('settles hundreds of concurrent invokes across many nodes, each with its own answer, and leaks nothing', async () => {
    const clock = countingClock();
    const gw = await gatewayWith(clock);
    const op = await startOperator(gw.url);
    cleanup.push(() => op.close());

    // Node i answers after a delay that varies per request, so answers arrive out of order.
    // Node 0 fails every invoke, node 1 never answers (short timeout), node 2 drops mid-flight.
    const NODES = 12;
    const PER_NODE = 40;
    const nodes: TestNode[] = [];
    for (let i = 0; i < NODES; i++) {
      const identity = generateDeviceIdentity();
      const node = await startNode(gw.url, {
        signer: createNodeDeviceSigner(identity),
        displayName: `node-${i}`,
        answer: async (req) => {
          if (i === 1 || i === 2) return 'silent';
          await new Promise((r) => setTimeout(r, (Number(JSON.parse(req.paramsJSON!).n) * 7) % 13));
          if (i === 0) return { ok: false, error: { code: 'E_NODE0', message: `node 0 refuses ${req.command}` } };
          return { ok: true, payloadJSON: JSON.stringify({ node: i, n: JSON.parse(req.paramsJSON!).n }) };
        },
      });
      cleanup.push(() => node.client.close());
      nodes.push(node);
    }
    const listed = (await op.call('node.list')).nodes;
    expect(listed).toHaveLength(NODES);
    const byIndex = nodes.map((_, i) => listed.find((n) => n.displayName === `node-${i}`)!.nodeId);

    const calls: Array<Promise<{ i: number; n: number; outcome: unknown }>> = [];
    for (let n = 0; n < PER_NODE; n++) {
      for (let i = 0; i < NODES; i++) {
        const call = op.call('node.invoke', {
          nodeId: byIndex[i]!,
          command: n % 2 ? 'canvas.eval' : 'canvas.snapshot',
          params: { n },
          timeoutMs: i === 1 ? 100 : 10_000,
          idempotencyKey: `${i}-${n}`,
        });
        calls.push(call.then((outcome) => ({ i, n, outcome }), (outcome) => ({ i, n, outcome })));
      }
    }
    await vi.waitFor(() => expect(nodes[2]!.requests).toHaveLength(PER_NODE));
    nodes[2]!.client.close();

    const settled = await Promise.all(calls);
    expect(settled).toHaveLength(NODES * PER_NODE);
    for (const { i, n, outcome } of settled) {
      const command = n % 2 ? 'canvas.eval' : 'canvas.snapshot';
      if (i === 0) {
        expect(outcome).toBeInstanceOf(GatewayError);
        expect(outcome).toMatchObject({ code: 'UNAVAILABLE', message: `node 0 refuses ${command}`, details: { nodeError: { code: 'E_NODE0' } } });
      } else if (i === 1) {
        expect(outcome).toMatchObject({ code: 'UNAVAILABLE', message: 'node invoke timed out' });
      } else if (i === 2) {
        expect(outcome).toMatchObject({ code: 'UNAVAILABLE', message: `node disconnected (${command})` });
      } else {
        expect(outcome).toEqual({ ok: true, nodeId: byIndex[i], command, payload: { node: i, n }, payloadJSON: JSON.stringify({ node: i, n }) });
      }
    }
    expect(gw.gateway.service(nodesService).pendingCount).toBe(0);
    // Invoke timers run 10 s; only short-lived gateway timers (presence debounce) may still be armed.
    await vi.waitFor(() => expect(clock.armed()).toBe(0));
    expect(new Set(nodes.flatMap((node) => node.requests.map((r) => r.id))).size).toBe(NODES * PER_NODE);
  });

  it('routes invokes to the newest connection of a node connected twice, and falls back when it leaves', async () => {
    const gw = await gatewayWith(systemClock);
    const op = await startOperator(gw.url);
    cleanup.push(() => op.close());
    const first = await startNode(gw.url, { answer: () => ({ ok: true, payload: 'first' }) });
    const second = await startNode(gw.url, { answer: () => ({ ok: true, payload: 'second' }) });
    cleanup.push(() => first.client.close(), () => second.client.close());
    let n = 0;
    // A fresh key each time: a reused one would be answered from the first result (node.invoke is idempotent).
    const invoke = () => op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: `k${++n}` });
    expect((await invoke()).payload).toBe('second');
    expect((await op.call('node.list')).nodes).toHaveLength(1);
    second.client.close();
    await vi.waitFor(async () => expect((await invoke()).payload).toBe('first'));
    first.client.close();
    await vi.waitFor(() => expect(gw.gateway.service(nodesService).list()).toEqual([]));
  });

  it('fails an invoke at once when the event cannot be sent', async () => {
    const clock = countingClock();
    const registry = new NodeRegistry({ clock, send: () => false });
    registry.register({
      connId: 'c1',
      role: 'node',
      scopes: [],
      client: { id: 'node-host', mode: 'node', version: '1', platform: 'linux' },
      peer: { transport: 'memory', local: true },
      protocol: 3,
      connectedAtMs: 1,
      connect: { minProtocol: 3, maxProtocol: 3, client: { id: 'node-host', mode: 'node', version: '1', platform: 'linux' }, commands: ['canvas.eval'] },
    });
    await expect(registry.invoke({ nodeId: 'node-host', command: 'canvas.eval' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'failed to send invoke to node',
    });
    expect(registry.pendingCount).toBe(0);
    expect(clock.armed()).toBe(0);
    expect(registry.unregister('c1')?.nodeId).toBe('node-host');
    expect(registry.unregister('c1')).toBeUndefined();
  });

  it('names a node by its device id, else its client id', () => {
    const client = { id: 'node-host', mode: 'node', version: '1', platform: 'linux' } as const;
    expect(nodeIdOf({ client, deviceId: 'abc' })).toBe('abc');
    expect(nodeIdOf({ client })).toBe('node-host');
  });
});
