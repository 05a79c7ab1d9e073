import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileStorage } from '../../../lib/file-storage.js';
import { PENDING_TTL_MS } from '../../../lib/pairing-state.js';
import type { NodePairResolvedPayload } from '../../../lib/protocol/generated/types.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { startOperator, startWsGateway } from '../../helpers/nodes.js';

/** A node pairing request nobody answers expires after five minutes and says so (`node.pair.resolved`, decision "expired"). */
describe('node.pair expiry', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('announces each expired request once, drops it from the list and the file, and leaves answered ones alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oc-node-pair-expiry-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const clock = new ManualClock();
    const gw = await startWsGateway({ clock, storage: new FileStorage(dir) });
    cleanup.push(() => gw.close());
    const op = await startOperator(gw.url);
    cleanup.push(() => op.close());
    const resolved: NodePairResolvedPayload[] = [];
    op.on('node.pair.resolved', (p) => resolved.push(p));

    const first = await op.call('node.pair.request', { nodeId: 'pi-1' });
    await clock.advance(60_000);
    const second = await op.call('node.pair.request', { nodeId: 'pi-2' });
    const answered = await op.call('node.pair.request', { nodeId: 'pi-3' });
    await op.call('node.pair.approve', { requestId: answered.request.requestId });
    await vi.waitFor(() => expect(resolved).toHaveLength(1));

    // Still live at exactly five minutes.
    await clock.advance(PENDING_TTL_MS - 60_000);
    expect((await op.call('node.pair.list')).pending.map((r) => r.nodeId)).toEqual(['pi-2', 'pi-1']);
    await clock.advance(1);
    await vi.waitFor(() => expect(resolved).toHaveLength(2));
    expect(resolved[1]).toEqual({ requestId: first.request.requestId, nodeId: 'pi-1', decision: 'expired', ts: clock.now() });
    expect((await op.call('node.pair.list')).pending.map((r) => r.nodeId)).toEqual(['pi-2']);
    const onDisk = JSON.parse(await readFile(join(dir, 'nodes', 'pending.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(onDisk)).toEqual([second.request.requestId]);

    await clock.advance(60_000);
    await vi.waitFor(() => expect(resolved).toHaveLength(3));
    expect(resolved[2]).toMatchObject({ requestId: second.request.requestId, nodeId: 'pi-2', decision: 'expired' });
    expect((await op.call('node.pair.list')).pending).toEqual([]);

    // A new request for an expired node starts afresh; nothing more was announced.
    // Events reach a connection in order, so the next one proves no other resolution was on its way.
    const requested = new Promise((resolve) => op.on('node.pair.requested', resolve));
    const again = await op.call('node.pair.request', { nodeId: 'pi-1' });
    expect(again.created).toBe(true);
    await requested;
    expect(resolved.map((r) => `${r.decision} ${r.nodeId}`)).toEqual(['approved pi-3', 'expired pi-1', 'expired pi-2']);
  });
});
