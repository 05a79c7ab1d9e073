import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { NodeInvokeCache } from '../../../lib/nodes/node-invoke-cache.js';
import type { NodeInvokeSuccess } from '../../../lib/nodes/node-registry.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const ok = (payload: unknown): Promise<NodeInvokeSuccess> => Promise.resolve({ payload, payloadJSON: null });

describe('NodeInvokeCache', () => {
  it('keeps at most maxEntries keys, forgetting the oldest first', async () => {
    const cache = new NodeInvokeCache({ clock: new ManualClock(), maxEntries: 2 });
    let runs = 0;
    const run = (key: string) => cache.run({ nodeId: 'n', command: 'c', idempotencyKey: key }, () => ok(++runs));
    await run('a');
    await run('b');
    await run('c');
    expect(cache.size).toBe(2);
    await expect(run('c')).resolves.toEqual({ payload: 3, payloadJSON: null });
    await expect(run('a')).resolves.toEqual({ payload: 4, payloadJSON: null });
  });

  it('drops settled keys after the TTL and never remembers invokes without a key', async () => {
    const clock = new ManualClock();
    const cache = new NodeInvokeCache({ clock, ttlMs: 1000 });
    let runs = 0;
    await cache.run({ nodeId: 'n', command: 'c' }, () => ok(++runs));
    await cache.run({ nodeId: 'n', command: 'c' }, () => ok(++runs));
    expect(runs).toBe(2);
    await cache.run({ nodeId: 'n', command: 'c', idempotencyKey: 'k' }, () => ok(++runs));
    expect(cache.size).toBe(1);
    await clock.advance(1001);
    expect(cache.size).toBe(0);
  });

  it('forgets a refusal (no nodeError) and keeps a node failure', async () => {
    const cache = new NodeInvokeCache({ clock: new ManualClock() });
    const refused = new GatewayError('UNAVAILABLE', 'node not connected', { details: { code: 'NOT_CONNECTED' } });
    await expect(cache.run({ nodeId: 'n', command: 'c', idempotencyKey: 'r' }, () => Promise.reject(refused))).rejects.toBe(refused);
    expect(cache.size).toBe(0);
    const failed = new GatewayError('UNAVAILABLE', 'node invoke timed out', { details: { nodeError: { code: 'TIMEOUT' } } });
    await expect(cache.run({ nodeId: 'n', command: 'c', idempotencyKey: 'f' }, () => Promise.reject(failed))).rejects.toBe(failed);
    expect(cache.size).toBe(1);
    await expect(cache.run({ nodeId: 'n', command: 'c', idempotencyKey: 'f' }, () => ok('again'))).rejects.toBe(failed);
  });
});
