import type { SessionsUsageResult, UsageCostResult, UsageStatusResult } from '../../../lib/protocol/generated/types.js';
import { formatAgo, h, replaceChildren, table } from '../dom.js';
import { reportedError } from './reported-error.js';
import { dailyBarChart, shareBar } from './usage-chart.js';
import { inBackground, section, unavailable, type View, type ViewContext } from './view.js';

const PERIODS = [
  { days: 7, range: '7d', label: 'Last 7 days' },
  { days: 30, range: '30d', label: 'Last 30 days' },
  { days: 90, range: '90d', label: 'Last 90 days' },
] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Usage: tokens and cost per day (`usage.cost`, the usage ledger: every run, whatever became of
 * its session) with a chart, per session (`sessions.usage`, from the transcripts), and each
 * provider's tokens today (`usage.status`). Days are UTC, as the gateway counts them.
 */
export class UsageView implements View {
  readonly el: HTMLElement;
  readonly #ctx: ViewContext;
  readonly #period = h('select', { id: 'usage-period', name: 'period' }, ...PERIODS.map((p) => h('option', { value: String(p.days), selected: p.days === 30 }, p.label)));
  readonly #summary = h('div');
  readonly #daily = h('div');
  readonly #sessions = h('div');
  readonly #providers = h('div');
  /** Only the newest load renders: a slow answer for the old period must not replace the new one. */
  #generation = 0;

  constructor(ctx: ViewContext) {
    this.#ctx = ctx;
    const load = () => inBackground(ctx.session, 'usage view', this.#load());
    this.#period.addEventListener('change', load);
    this.el = h(
      'div',
      { class: 'view-body usage' },
      h(
        'div',
        { class: 'usage-toolbar' },
        h('label', { for: 'usage-period' }, 'Period'),
        this.#period,
        h('button', { type: 'button', onclick: load }, 'Refresh'),
      ),
      this.#summary,
      section('usage-daily-title', 'Per day', this.#daily),
      section('usage-sessions-title', 'Per session', this.#sessions),
      section('usage-providers-title', 'Today by provider', this.#providers),
    );
  }

  show(): void {
    inBackground(this.#ctx.session, 'usage view', this.#load());
  }

  hide(): void {}

  async #load(): Promise<void> {
    const { session } = this.#ctx;
    if (session.status.kind !== 'open') return;
    const generation = ++this.#generation;
    const period = PERIODS.find((p) => String(p.days) === this.#period.value) ?? PERIODS[1];
    const [cost, sessions, status] = await Promise.all([
      this.#fetch('usage.cost', () => session.client.call('usage.cost', { days: period.days })),
      this.#fetch('sessions.usage', () => session.client.call('sessions.usage', { range: period.range, agentScope: 'all', limit: 100 })),
      this.#fetch('usage.status', () => session.client.call('usage.status', {})),
    ]);
    if (generation !== this.#generation) return;
    this.#renderSummary(cost, period.label);
    this.#renderDaily(cost, period.days);
    this.#renderSessions(sessions);
    this.#renderProviders(status);
  }

  /** A call's result, or where it failed (shown in that section), or that the gateway lacks it. */
  async #fetch<T>(method: string, call: () => Promise<T>): Promise<T | HTMLElement> {
    if (!this.#ctx.session.has(method)) return unavailable(method);
    try {
      return await call();
    } catch (err) {
      return reportedError(this.#ctx.session, method, err);
    }
  }

  #renderSummary(cost: UsageCostResult | HTMLElement, period: string): void {
    if (cost instanceof HTMLElement) {
      replaceChildren(this.#summary);
      return;
    }
    const t = cost.totals;
    replaceChildren(
      this.#summary,
      h(
        'dl',
        { class: 'usage-totals card', 'aria-label': `Totals, ${period.toLowerCase()}` },
        h('div', {}, h('dt', {}, 'Tokens'), h('dd', { 'data-testid': 'usage-total-tokens' }, t.totalTokens.toLocaleString('en-US'))),
        h('div', {}, h('dt', {}, 'Cost'), h('dd', { 'data-testid': 'usage-total-cost' }, dollars(t.totalCost))),
        h('div', {}, h('dt', {}, 'Input / output'), h('dd', {}, `${t.input.toLocaleString('en-US')} / ${t.output.toLocaleString('en-US')}`)),
        h('div', {}, h('dt', {}, 'Cache read / write'), h('dd', {}, `${t.cacheRead.toLocaleString('en-US')} / ${t.cacheWrite.toLocaleString('en-US')}`)),
      ),
      t.missingCostEntries
        ? h('p', { class: 'notice', role: 'note' }, `Some usage has no price (${t.missingCostEntries} model-day${t.missingCostEntries === 1 ? '' : 's'}): set models.providers.<id>.models[].cost to count it in the cost.`)
        : null,
    );
  }

  #renderDaily(cost: UsageCostResult | HTMLElement, days: number): void {
    if (cost instanceof HTMLElement) {
      replaceChildren(this.#daily, cost);
      return;
    }
    const byDate = new Map(cost.daily.map((d) => [d.date, d]));
    const today = Date.parse(`${new Date(cost.updatedAt).toISOString().slice(0, 10)}T00:00:00Z`);
    // Every day of the period gets a slot, so quiet days show as gaps rather than vanishing.
    const all = Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10));
    const values = all.map((date) => {
      const day = byDate.get(date);
      const tokens = day?.totalTokens ?? 0;
      return { date, value: tokens, label: `${date}: ${tokens.toLocaleString('en-US')} tokens, ${dollars(day?.totalCost ?? 0)}` };
    });
    const rows = [...cost.daily].reverse().map((d) => [d.date, d.totalTokens.toLocaleString('en-US'), d.input.toLocaleString('en-US'), d.output.toLocaleString('en-US'), dollars(d.totalCost)]);
    replaceChildren(
      this.#daily,
      dailyBarChart('Tokens per day (UTC)', values),
      table('Tokens and cost per day', ['Day (UTC)', 'Tokens', 'Input', 'Output', 'Cost'], rows, 'No usage recorded in this period.'),
    );
  }

  #renderSessions(result: SessionsUsageResult | HTMLElement): void {
    if (result instanceof HTMLElement) {
      replaceChildren(this.#sessions, result);
      return;
    }
    const max = Math.max(1, ...result.sessions.map((s) => s.usage?.totalTokens ?? 0));
    const rows = result.sessions.map((s) => {
      const u = s.usage;
      const tokens = u?.totalTokens ?? 0;
      return [
        h('span', {}, h('span', { class: 'mono session-key' }, s.key), s.label ? h('span', { class: 'muted' }, ` · ${s.label}`) : null),
        s.agentId ?? '—',
        h('span', { class: 'usage-cell' }, tokens.toLocaleString('en-US'), shareBar(tokens / max)),
        u ? (u.missingCostEntries ? `${dollars(u.totalCost)} + unpriced` : dollars(u.totalCost)) : '—',
        String(u?.messageCounts?.total ?? 0),
        formatAgo(u?.lastActivity),
      ];
    });
    replaceChildren(
      this.#sessions,
      table('Tokens and cost per session', ['Session', 'Agent', 'Tokens', 'Cost', 'Messages', 'Last active'], rows, 'No session was active in this period.'),
      result.sessions.length
        ? h('p', { class: 'muted' }, `From the sessions' current transcripts (${result.startDate} to ${result.endDate}); a reset or compacted session counts from its new transcript.`)
        : null,
    );
  }

  #renderProviders(result: UsageStatusResult | HTMLElement): void {
    if (result instanceof HTMLElement) {
      replaceChildren(this.#providers, result);
      return;
    }
    const rows = result.providers.map((p) => [p.displayName, p.tokensToday.toLocaleString('en-US'), String(p.runsToday)]);
    replaceChildren(this.#providers, table('Tokens today by provider', ['Provider', 'Tokens today', 'Runs today'], rows, 'No model was used today.'));
  }
}

function dollars(value: number): string {
  if (value === 0) return '$0.00';
  return value < 0.01 ? `$${value.toFixed(6).replace(/0+$/, '')}` : `$${value.toFixed(2)}`;
}
