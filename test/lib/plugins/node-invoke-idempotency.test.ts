import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GatewayClient } from '../../../lib/client/index.js';
import type { NodeInvokeRequestPayload } from '../../../lib/protocol/generated/types.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { startNode, startOperator, startWsGateway, type TestNode, type TestNodeOptions, type WsGateway } from '../../helpers/nodes.js';

/** `node.invoke` runs once per idempotency key (docs/protocol.md, Idempotency). */
describe('node.invoke idempotency', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function setup(options: { answer?: TestNodeOptions['answer']; clock?: ManualClock } = {}): Promise<{ gw: WsGateway; op: GatewayClient; node: TestNode }> {
    const gw = await startWsGateway(options.clock ? { clock: options.clock } : {});
    cleanup.push(() => gw.close());
    const op = await startOperator(gw.url);
    cleanup.push(() => op.close());
    const node = await startNode(gw.url, options.answer ? { answer: options.answer } : {});
    cleanup.push(() => node.client.close());
    return { gw, op, node };
  }

  it('a retry after the result gets the first result and the node runs the command once', async () => {
    let runs = 0;
    const { op, node } = await setup({ answer: () => ({ ok: true, payload: { run: ++runs } }) });
    const invoke = { nodeId: 'node-host', command: 'canvas.eval', params: { js: '1+1' }, idempotencyKey: 'k1' };
    const first = await op.call('node.invoke', invoke);
    expect(first).toEqual({ ok: true, nodeId: 'node-host', command: 'canvas.eval', payload: { run: 1 }, payloadJSON: null });
    await expect(op.call('node.invoke', invoke)).resolves.toEqual(first);
    expect(node.requests).toHaveLength(1);
    // Another key is another invoke.
    await expect(op.call('node.invoke', { ...invoke, idempotencyKey: 'k2' })).resolves.toMatchObject({ payload: { run: 2 } });
    expect(node.requests).toHaveLength(2);
  });

  it('a retry while the first is in flight waits for it instead of sending again', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { op, node } = await setup({
      answer: async (req: NodeInvokeRequestPayload) => {
        await gate;
        return { ok: true, payload: { id: req.id } };
      },
    });
    const invoke = { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'in-flight' };
    const first = op.call('node.invoke', invoke);
    await vi.waitFor(() => expect(node.requests).toHaveLength(1));
    const retry = op.call('node.invoke', invoke);
    release!();
    const [a, b] = await Promise.all([first, retry]);
    expect(b).toEqual(a);
    expect(a.payload).toEqual({ id: node.requests[0]!.id });
    expect(node.requests).toHaveLength(1);
  });

  it('replays a failure that came from the node', async () => {
    let runs = 0;
    const { op, node } = await setup({ answer: () => ({ ok: false, error: { code: 'BUSY', message: `busy ${++runs}` } }) });
    const invoke = { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'fails' };
    await expect(op.call('node.invoke', invoke)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'busy 1' });
    await expect(op.call('node.invoke', invoke)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'busy 1', details: { nodeError: { code: 'BUSY' } } });
    expect(node.requests).toHaveLength(1);
  });

  it('lets the same key run once the node is there when nothing was sent the first time', async () => {
    const gw = await startWsGateway();
    cleanup.push(() => gw.close());
    const op = await startOperator(gw.url);
    cleanup.push(() => op.close());
    const invoke = { nodeId: 'node-host', command: 'canvas.eval', params: { n: 1 }, idempotencyKey: 'early' };
    await expect(op.call('node.invoke', invoke)).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { code: 'NOT_CONNECTED' } });
    const node = await startNode(gw.url);
    cleanup.push(() => node.client.close());
    await expect(op.call('node.invoke', invoke)).resolves.toMatchObject({ ok: true, payload: { echo: { n: 1 } } });
    await expect(op.call('node.invoke', invoke)).resolves.toMatchObject({ ok: true, payload: { echo: { n: 1 } } });
    expect(node.requests).toHaveLength(1);
  });

  it('refuses a key reused for a different invoke', async () => {
    const { op, node } = await setup();
    await op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', params: { a: 1 }, idempotencyKey: 'same' });
    await expect(op.call('node.invoke', { nodeId: 'node-host', command: 'canvas.eval', params: { a: 2 }, idempotencyKey: 'same' })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'idempotencyKey already used for a different node.invoke',
    });
    expect(node.requests).toHaveLength(1);
  });

  it('forgets a settled key after five minutes', async () => {
    const clock = new ManualClock();
    const { op, node } = await setup({ clock });
    const invoke = { nodeId: 'node-host', command: 'canvas.eval', idempotencyKey: 'old' };
    await op.call('node.invoke', invoke);
    await clock.advance(5 * 60_000);
    await op.call('node.invoke', invoke);
    expect(node.requests).toHaveLength(1);
    await clock.advance(1);
    await op.call('node.invoke', invoke);
    expect(node.requests).toHaveLength(2);
  });
});
