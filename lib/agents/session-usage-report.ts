import type { ModelPrice } from '../providers/model-catalog.js';
import type { ModelMessage } from '../providers/model-provider.js';
import type {
  SessionCostSummary,
  SessionMessageCounts,
  SessionModelUsage,
  SessionsUsageDay,
  SessionsUsageResult,
  SessionToolUsage,
  SessionUsageEntry,
  UsageCostTotals,
} from '../protocol/generated/types.js';
import type { SessionEntry, TranscriptLine } from '../sessions/session-store.js';
import { splitModelRef } from '../providers/model-ref.js';
import type { UsageDayRange } from './usage-day-range.js';

export interface SessionUsageReportOptions {
  range: UsageDayRange;
  /** Per-million prices of `provider/model`, when the catalog has them. */
  priceOf(ref: string): ModelPrice | undefined;
}

interface Counted {
  entry: SessionUsageEntry;
  summary: SessionCostSummary;
  lastActivity: number;
}

/**
 * `sessions.usage` from transcripts: each assistant reply carries the usage its provider
 * reported, so a session's tokens are the sum over its replies in the range, priced with the
 * catalog. Sessions are added one by one; `result` lists the most recently active and sums all.
 */
export class SessionUsageReport {
  readonly #options: SessionUsageReportOptions;
  readonly #sessions: Counted[] = [];
  readonly #totals = emptyTotals();
  readonly #messages = emptyCounts();
  readonly #tools = new Map<string, number>();
  readonly #byModel = new Map<string, SessionModelUsage>();
  readonly #byProvider = new Map<string, SessionModelUsage>();
  readonly #byAgent = new Map<string, UsageCostTotals>();
  readonly #daily = new Map<string, SessionsUsageDay>();

  constructor(options: SessionUsageReportOptions) {
    this.#options = options;
  }

  /** One session's current transcript; a session without messages in the range is left out. */
  add(agentId: string, key: string, entry: SessionEntry, lines: readonly TranscriptLine[]): void {
    const { range } = this.#options;
    const totals = emptyTotals();
    const counts = emptyCounts();
    const tools = new Map<string, number>();
    const models = new Map<string, SessionModelUsage>();
    const days = new Map<string, { tokens: number; cost: number }>();
    const active = new Set<string>();
    let first = Infinity;
    let last = -Infinity;
    for (const line of lines) {
      const message = line.message;
      const at = typeof message.timestamp === 'number' && Number.isFinite(message.timestamp) ? message.timestamp : Date.parse(line.timestamp);
      if (!Number.isFinite(at)) continue;
      const day = range.dayOf(at);
      if (!range.includes(day)) continue;
      active.add(day);
      first = Math.min(first, at);
      last = Math.max(last, at);
      const aggregateDay = this.#day(day);
      const { calls, error } = countMessage(message, counts, tools);
      aggregateDay.messages += 1;
      aggregateDay.toolCalls += calls;
      if (error) aggregateDay.errors += 1;
      if (message.role !== 'assistant' || !message.usage) continue;
      const usage = { input: message.usage.input, output: message.usage.output, cacheRead: message.usage.cacheRead ?? 0, cacheWrite: message.usage.cacheWrite ?? 0 };
      const tokens = usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
      const ref = message.provider && message.model ? `${message.provider}/${message.model}` : undefined;
      const price = ref ? this.#options.priceOf(ref) : undefined;
      const cost = price ? (usage.input * price.input + usage.output * price.output + usage.cacheRead * (price.cacheRead ?? price.input) + usage.cacheWrite * (price.cacheWrite ?? price.input)) / 1_000_000 : 0;
      const reply = { ...usage, totalTokens: tokens, totalCost: cost, missingCostEntries: price ? 0 : 1 };
      addTotals(totals, reply);
      modelUsage(models, ref ?? 'unknown', message.provider, message.model).count += 1;
      addTotals(models.get(ref ?? 'unknown')!.totals, reply);
      const sessionDay = days.get(day) ?? { tokens: 0, cost: 0 };
      sessionDay.tokens += tokens;
      sessionDay.cost += cost;
      days.set(day, sessionDay);
      aggregateDay.tokens += tokens;
      aggregateDay.cost += cost;
    }
    if (counts.total === 0) return;

    const summary: SessionCostSummary = {
      ...rounded(totals),
      sessionId: entry.sessionId,
      firstActivity: first,
      lastActivity: last,
      durationMs: last - first,
      activityDates: [...active].sort(),
      dailyBreakdown: [...days].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, d]) => ({ date, tokens: d.tokens, cost: round(d.cost) })),
      messageCounts: counts,
      toolUsage: toolUsage(tools),
      modelUsage: [...models.values()].map((m) => ({ ...m, totals: rounded(m.totals) })),
    };
    const { model, modelProvider } = splitModelRef(entry.model);
    this.#sessions.push({
      lastActivity: last,
      summary,
      entry: {
        key,
        ...(entry.label ? { label: entry.label } : {}),
        sessionId: entry.sessionId,
        updatedAt: entry.updatedAt,
        agentId,
        ...(modelProvider ? { modelProvider } : {}),
        ...(model ? { model } : {}),
        ...(entry.modelOverride ? { modelOverride: entry.modelOverride } : {}),
        usage: summary,
      },
    });

    addTotals(this.#totals, totals);
    for (const name of Object.keys(counts) as (keyof SessionMessageCounts)[]) this.#messages[name] += counts[name];
    for (const [name, count] of tools) this.#tools.set(name, (this.#tools.get(name) ?? 0) + count);
    for (const [ref, usage] of models) {
      merge(this.#byModel, ref, usage.provider, usage.model, usage);
      merge(this.#byProvider, usage.provider ?? 'unknown', usage.provider, undefined, usage);
    }
    const agent = this.#byAgent.get(agentId) ?? emptyTotals();
    addTotals(agent, totals);
    this.#byAgent.set(agentId, agent);
  }

  result(now: number, limit: number): SessionsUsageResult {
    const { range } = this.#options;
    const days = [...this.#daily.keys()].sort();
    const sessions = [...this.#sessions].sort((a, b) => b.lastActivity - a.lastActivity).slice(0, limit);
    return {
      updatedAt: now,
      // With range "all", the range starts at the first day anything happened (today if nothing did).
      startDate: range.startDate ?? days[0] ?? range.endDate,
      endDate: range.endDate,
      sessions: sessions.map((s) => s.entry),
      totals: rounded(this.#totals),
      aggregates: {
        messages: this.#messages,
        tools: toolUsage(this.#tools),
        byModel: [...this.#byModel.values()].map((m) => ({ ...m, totals: rounded(m.totals) })),
        byProvider: [...this.#byProvider.values()].map((m) => ({ ...m, totals: rounded(m.totals) })),
        byAgent: [...this.#byAgent].map(([agentId, totals]) => ({ agentId, totals: rounded(totals) })),
        daily: days.map((date) => ({ ...this.#daily.get(date)!, cost: round(this.#daily.get(date)!.cost) })),
      },
    };
  }

  #day(date: string): SessionsUsageDay {
    let day = this.#daily.get(date);
    if (!day) {
      day = { date, tokens: 0, cost: 0, messages: 0, toolCalls: 0, errors: 0 };
      this.#daily.set(date, day);
    }
    return day;
  }
}

/** Counts one message into `counts` and its tool calls into `tools`. */
function countMessage(message: ModelMessage, counts: SessionMessageCounts, tools: Map<string, number>): { calls: number; error: boolean } {
  counts.total += 1;
  let calls = 0;
  let error = false;
  if (message.role === 'user') counts.user += 1;
  else if (message.role === 'toolResult') {
    counts.toolResults += 1;
    error = message.isError;
  } else {
    counts.assistant += 1;
    for (const part of message.content) {
      if (part.type !== 'toolCall') continue;
      calls += 1;
      tools.set(part.name, (tools.get(part.name) ?? 0) + 1);
    }
    error = message.stopReason === 'error';
  }
  counts.toolCalls += calls;
  if (error) counts.errors += 1;
  return { calls, error };
}

function modelUsage(map: Map<string, SessionModelUsage>, key: string, provider: string | undefined, model: string | undefined): SessionModelUsage {
  let usage = map.get(key);
  if (!usage) {
    usage = { ...(provider ? { provider } : {}), ...(model ? { model } : {}), count: 0, totals: emptyTotals() };
    map.set(key, usage);
  }
  return usage;
}

function merge(map: Map<string, SessionModelUsage>, key: string, provider: string | undefined, model: string | undefined, add: SessionModelUsage): void {
  const into = modelUsage(map, key, provider, model);
  into.count += add.count;
  addTotals(into.totals, add.totals);
}

function toolUsage(tools: Map<string, number>): SessionToolUsage {
  const list = [...tools].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
  return { totalCalls: list.reduce((n, t) => n + t.count, 0), uniqueTools: list.length, tools: list };
}

function emptyTotals(): UsageCostTotals {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, totalCost: 0, missingCostEntries: 0 };
}

function emptyCounts(): SessionMessageCounts {
  return { total: 0, user: 0, assistant: 0, toolCalls: 0, toolResults: 0, errors: 0 };
}

function addTotals(into: UsageCostTotals, add: UsageCostTotals): void {
  for (const key of Object.keys(into) as (keyof UsageCostTotals)[]) into[key] += add[key];
}

function rounded(totals: UsageCostTotals): UsageCostTotals {
  return { ...totals, totalCost: round(totals.totalCost) };
}

/** Cost to a millionth of a dollar: float sums must not show as 0.30000000000000004. */
function round(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
