import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';

const { start, defer } = agentGatewayPerTest();

describe('usage.status and usage.cost from the usage providers report, persisted per day', () => {
  it('sums tokens per day and prices them from the catalog; resets do not erase usage; it survives a restart', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-usage-'));
    defer(() => rm(stateDir, { recursive: true, force: true }));
    const h = await start({ price: { input: 3, output: 15 }, stateDir });
    h.model.script({ text: ['a'], usage: { input: 1000, output: 100 } }, { text: ['b'], usage: { input: 2000, output: 200 } });
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'one', idempotencyKey: 'u1' }));
    await h.request(peer, 'sessions.reset', { key: 'main' });
    await h.final(peer, h.send(peer, 'agent', { message: 'two', idempotencyKey: 'u2' }));

    const today = new Date().toISOString().slice(0, 10);
    const expected = { input: 3000, output: 300, cacheRead: 0, cacheWrite: 0, totalTokens: 3300, totalCost: 0.0135, missingCostEntries: 0 };
    await expect.poll(async () => (await h.request(peer, 'usage.cost', {})).payload).toEqual({ updatedAt: expect.any(Number), days: 30, daily: [{ date: today, ...expected }], totals: expected });
    const status = await h.request(peer, 'usage.status', {});
    expect(status.payload).toEqual({ updatedAt: expect.any(Number), providers: [{ provider: 'fake', displayName: 'fake', windows: [], tokensToday: 3300, runsToday: 2 }] });

    const ledger = JSON.parse(await readFile(join(h.stateDir, 'usage/daily.json'), 'utf8'));
    expect(ledger.days[today]['fake/m1']).toEqual({ input: 3000, output: 300, cacheRead: 0, cacheWrite: 0, runs: 2 });

    await h.close();
    const again = await start({ stateDir });
    const peer2 = await again.connect();
    const unpriced = (await again.request(peer2, 'usage.cost', { days: 7 })).payload;
    expect(unpriced.totals).toMatchObject({ totalTokens: 3300, totalCost: 0, missingCostEntries: 1 });
    expect(unpriced.days).toBe(7);
  });

  it('refuses to overwrite an unreadable ledger and says which file', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-usage-'));
    defer(() => rm(stateDir, { recursive: true, force: true }));
    await mkdir(join(stateDir, 'usage'), { recursive: true });
    await writeFile(join(stateDir, 'usage/daily.json'), '{ not json');
    const again = await start({ stateDir });
    const peer2 = await again.connect();
    const refused = await again.request(peer2, 'usage.cost', {});
    expect(refused.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('usage/daily.json is unreadable') });
    await again.final(peer2, again.send(peer2, 'agent', { message: 'still runs', idempotencyKey: 'u3' }));
    expect(await readFile(join(stateDir, 'usage/daily.json'), 'utf8')).toBe('{ not json');
  });
});
