import type { AgentService } from '../agents/agent-service.js';
import type { ModelDayUsage } from '../agents/usage-ledger.js';
import type { GatewayHost } from '../plugin.js';
import type { UsageCostTotals } from '../protocol/generated/types.js';
import { splitModelRef } from '../providers/model-ref.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `usage.cost`: tokens per day (UTC) from the usage ledger, priced with the catalog's per-million
 * prices at the time of asking; tokens of a model without a price count in `missingCostEntries`.
 * `usage.status`: each provider's tokens today.
 */
export function registerUsageMethods(gateway: GatewayHost, service: AgentService): void {
  gateway.registerMethod('usage.cost', async (params) => {
    const now = gateway.clock.now();
    const days = params.days ?? 30;
    const from = new Date(now - (days - 1) * DAY_MS).toISOString().slice(0, 10);
    const daily = (await service.usage.since(from)).map(([date, models]) => ({ date, ...priceDay(service, models) }));
    const totals = emptyTotals();
    for (const day of daily) {
      for (const key of Object.keys(totals) as (keyof UsageCostTotals)[]) totals[key] += day[key];
    }
    totals.totalCost = round(totals.totalCost);
    return { updatedAt: now, days, daily, totals };
  });

  gateway.registerMethod('usage.status', async () => {
    const now = gateway.clock.now();
    const today = new Date(now).toISOString().slice(0, 10);
    const byProvider = new Map<string, { tokensToday: number; runsToday: number }>();
    for (const [, models] of await service.usage.since(today)) {
      for (const [ref, usage] of Object.entries(models)) {
        const provider = splitModelRef(ref).modelProvider ?? ref;
        const current = byProvider.get(provider) ?? { tokensToday: 0, runsToday: 0 };
        current.tokensToday += usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
        current.runsToday += usage.runs;
        byProvider.set(provider, current);
      }
    }
    return { updatedAt: now, providers: [...byProvider].map(([provider, counts]) => ({ provider, displayName: provider, windows: [], ...counts })) };
  });
}

function priceDay(service: AgentService, models: Record<string, ModelDayUsage>): UsageCostTotals {
  const totals = emptyTotals();
  for (const [ref, usage] of Object.entries(models)) {
    totals.input += usage.input;
    totals.output += usage.output;
    totals.cacheRead += usage.cacheRead;
    totals.cacheWrite += usage.cacheWrite;
    totals.totalTokens += usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
    const price = service.models.priceOf?.(ref);
    if (!price) {
      totals.missingCostEntries += 1;
      continue;
    }
    totals.totalCost += (usage.input * price.input + usage.output * price.output + usage.cacheRead * (price.cacheRead ?? price.input) + usage.cacheWrite * (price.cacheWrite ?? price.input)) / 1_000_000;
  }
  totals.totalCost = round(totals.totalCost);
  return totals;
}

function emptyTotals(): UsageCostTotals {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, totalCost: 0, missingCostEntries: 0 };
}

/** Cost to a millionth of a dollar: float sums must not show as 0.30000000000000004. */
function round(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000;
}
