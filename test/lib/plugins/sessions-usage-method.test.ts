import { describe, expect, it } from 'vitest';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const { start } = agentGatewayPerTest();
const DAY_MS = 24 * 60 * 60 * 1000;

describe('sessions.usage: tokens and cost per session and per day from the transcripts', () => {
  async function twoDays(price?: { input: number; output: number }) {
    // 23:30 UTC: already the next day in Tokyo.
    const clock = new ManualClock(Date.parse('2026-03-01T23:30:00Z'));
    const h = await start({ clock, ...(price ? { price } : {}), settings: { agents: [{ id: 'main' }, { id: 'work' }] } });
    const peer = await h.connect();
    h.model.script(
      { text: ['Looking.'], toolCalls: [{ id: 'c1', name: 'sessions_list', arguments: {} }], usage: { input: 1000, output: 100 } },
      { text: ['One session.'], usage: { input: 2000, output: 200 } },
    );
    await h.final(peer, h.send(peer, 'agent', { message: 'how many?', sessionKey: 'main', idempotencyKey: 'u1' }));
    await clock.advance(DAY_MS);
    h.model.script({ text: ['Noted.'], usage: { input: 500, output: 50 } });
    await h.final(peer, h.send(peer, 'agent', { message: 'note this', sessionKey: 'research', idempotencyKey: 'u2' }));
    await clock.advance(60_000);
    h.model.script({ text: ['Working.'], usage: { input: 10, output: 1 } });
    await h.final(peer, h.send(peer, 'agent', { message: 'work', sessionKey: 'agent:work:main', idempotencyKey: 'u3' }));
    const usage = async (params: Record<string, unknown>) => {
      const res = await h.request(peer, 'sessions.usage', params);
      if (res.error) throw new Error(`${res.error.code}: ${res.error.message}`);
      return res.payload;
    };
    return { h, peer, usage };
  }

  it('sums the replies of each session, prices them from the catalog, and aggregates per day, model and agent', async () => {
    const { usage } = await twoDays({ input: 3, output: 15 });
    const result = await usage({});
    expect(result).toMatchObject({ startDate: '2026-0201', endDate: '2026-03-02' }.startDate ? { endDate: '2026-03-02' } : {});
    expect(result.startDate).toBe('2026-02-01');
    expect(result.sessions.map((s: { key: string }) => s.key)).toEqual(['agent:main:research', 'agent:main:main']);
    const main = result.sessions[1];
    expect(main).toMatchObject({ key: 'agent:main:main', agentId: 'main', modelProvider: 'fake', model: 'm1', sessionId: expect.any(String) });
    expect(main.usage).toMatchObject({
      input: 3000,
      output: 300,
      cacheRead: 0,
      cacheWrite: 0,
      totalTokens: 3300,
      totalCost: 0.0135,
      missingCostEntries: 0,
      activityDates: ['2026-03-01'],
      dailyBreakdown: [{ date: '2026-03-01', tokens: 3300, cost: 0.0135 }],
      messageCounts: { total: 4, user: 1, assistant: 2, toolCalls: 1, toolResults: 1, errors: 0 },
      toolUsage: { totalCalls: 1, uniqueTools: 1, tools: [{ name: 'sessions_list', count: 1 }] },
      modelUsage: [{ provider: 'fake', model: 'm1', count: 2, totals: { totalTokens: 3300, totalCost: 0.0135 } }],
    });
    expect(main.usage.firstActivity).toBe(Date.parse('2026-03-01T23:30:00Z'));
    // The default agent only: agent:work:main is another agent's.
    expect(result.totals).toEqual({ input: 3500, output: 350, cacheRead: 0, cacheWrite: 0, totalTokens: 3850, totalCost: 0.01575, missingCostEntries: 0 });
    expect(result.aggregates.daily).toEqual([
      { date: '2026-03-01', tokens: 3300, cost: 0.0135, messages: 4, toolCalls: 1, errors: 0 },
      { date: '2026-03-02', tokens: 550, cost: 0.00225, messages: 2, toolCalls: 0, errors: 0 },
    ]);
    expect(result.aggregates.byModel).toEqual([{ provider: 'fake', model: 'm1', count: 3, totals: result.totals }]);
    expect(result.aggregates.byProvider).toEqual([{ provider: 'fake', count: 3, totals: result.totals }]);
    expect(result.aggregates.byAgent).toEqual([{ agentId: 'main', totals: result.totals }]);
    expect(result.aggregates.messages).toEqual({ total: 6, user: 2, assistant: 3, toolCalls: 1, toolResults: 1, errors: 0 });

    const all = await usage({ agentScope: 'all' });
    expect(all.sessions.map((s: { key: string }) => s.key)).toEqual(['agent:work:main', 'agent:main:research', 'agent:main:main']);
    expect(all.aggregates.byAgent.map((a: { agentId: string }) => a.agentId)).toEqual(['main', 'work']);
    expect((await usage({ agentId: 'work' })).sessions.map((s: { key: string }) => s.key)).toEqual(['agent:work:main']);
    expect((await usage({ key: 'main' })).sessions.map((s: { key: string }) => s.key)).toEqual(['agent:main:main']);
    expect((await usage({ key: 'no-such-session' })).sessions).toEqual([]);

    // limit shortens the list, never the totals.
    const one = await usage({ limit: 1 });
    expect(one.sessions).toHaveLength(1);
    expect(one.totals.totalTokens).toBe(3850);

    // Days outside the range count for nothing.
    const second = await usage({ startDate: '2026-03-02' });
    expect(second.sessions.map((s: { key: string }) => s.key)).toEqual(['agent:main:research']);
    expect(second.totals.totalTokens).toBe(550);
    const before = await usage({ startDate: '2026-01-01', endDate: '2026-02-28' });
    expect(before.sessions).toEqual([]);
    expect(before.aggregates.daily).toEqual([]);
    expect((await usage({ range: 'all' })).startDate).toBe('2026-03-01');
  });

  it('counts days in the asked time zone, and tokens of unpriced models as missing cost', async () => {
    const { usage } = await twoDays();
    const tokyo = await usage({ mode: 'specific', timeZone: 'Asia/Tokyo' });
    expect(tokyo.endDate).toBe('2026-03-03');
    expect(tokyo.aggregates.daily.map((d: { date: string }) => d.date)).toEqual(['2026-03-02', '2026-03-03']);
    expect((await usage({ utcOffset: 'UTC+9' })).aggregates.daily.map((d: { date: string }) => d.date)).toEqual(['2026-03-02', '2026-03-03']);
    const utc = await usage({});
    expect(utc.totals).toMatchObject({ totalTokens: 3850, totalCost: 0, missingCostEntries: 3 });
    expect(utc.sessions[1].usage.missingCostEntries).toBe(2);
  });

  it('refuses contradictory or impossible parameters with INVALID_REQUEST', async () => {
    const { h, peer } = await twoDays();
    for (const [params, message] of [
      [{ agentScope: 'all', agentId: 'main' }, 'agentScope "all" cannot be combined'],
      [{ startDate: '2026-03-05', endDate: '2026-03-01' }, 'startDate 2026-03-05 is after endDate 2026-03-01'],
      [{ mode: 'specific' }, 'needs timeZone'],
      [{ timeZone: 'Nowhere/Land' }, 'unknown timeZone'],
      [{ agentId: 'ghost' }, 'ghost'],
      [{ range: '2w' }, ''],
    ] as const) {
      const res = await h.request(peer, 'sessions.usage', params);
      expect(res.error, JSON.stringify(params)).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining(message) });
    }
  });
});
