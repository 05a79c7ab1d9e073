import { GatewayError } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';
import type { ModelUsage } from '../providers/model-provider.js';
import type { Storage } from '../storage.js';

/** Token counts of one model on one day. */
export interface ModelDayUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  runs: number;
}

/** `date` (UTC, `YYYY-MM-DD`) → `provider/model` → counts. */
export type DailyUsage = Record<string, Record<string, ModelDayUsage>>;

export interface UsageLedgerOptions {
  storage: Storage;
  /** Days kept (default 400: a year of `usage.cost` plus margin). */
  retainDays?: number;
}

const FILE = 'usage/daily.json';

/**
 * Token usage as providers report it, summed per day and model in `<state>/usage/daily.json`
 * (written atomically after each run). Session resets and deletions do not erase it.
 */
export class UsageLedger {
  readonly #storage: Storage;
  readonly #retainDays: number;
  readonly #queue = new KeyedQueue();
  #days?: DailyUsage;

  constructor(options: UsageLedgerOptions) {
    this.#storage = options.storage;
    this.#retainDays = options.retainDays ?? 400;
  }

  /** Adds a run's usage to its day. */
  record(at: number, ref: string, usage: ModelUsage): Promise<void> {
    return this.#queue.run(FILE, async () => {
      const days = { ...(await this.#load()) };
      const date = new Date(at).toISOString().slice(0, 10);
      const day = { ...days[date] };
      const current = day[ref] ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, runs: 0 };
      day[ref] = {
        input: current.input + usage.input,
        output: current.output + usage.output,
        cacheRead: current.cacheRead + (usage.cacheRead ?? 0),
        cacheWrite: current.cacheWrite + (usage.cacheWrite ?? 0),
        runs: current.runs + 1,
      };
      days[date] = day;
      for (const old of Object.keys(days).sort().slice(0, -this.#retainDays)) delete days[old];
      await this.#storage.write(FILE, JSON.stringify({ version: 1, days }));
      this.#days = days;
    });
  }

  /** The recorded days from `from` (inclusive, `YYYY-MM-DD`), oldest first. */
  async since(from: string): Promise<Array<[date: string, models: Record<string, ModelDayUsage>]>> {
    const days = await this.#load();
    return Object.entries(days)
      .filter(([date]) => date >= from)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  }

  async #load(): Promise<DailyUsage> {
    if (this.#days) return this.#days;
    const text = await this.#storage.read(FILE);
    let days: DailyUsage = {};
    if (text?.trim()) {
      try {
        const parsed = JSON.parse(text) as { days?: unknown } | null;
        if (!parsed || typeof parsed.days !== 'object' || parsed.days === null || Array.isArray(parsed.days)) throw new Error('no "days" object');
        days = parsed.days as DailyUsage;
      } catch (err) {
        // Never overwritten: recording stops until someone looks at the file.
        const where = this.#storage.locate?.(FILE) ?? FILE;
        throw new GatewayError('UNAVAILABLE', `usage ledger ${where} is unreadable: ${(err as Error).message}; fix or move it away`, { cause: err });
      }
    }
    this.#days = days;
    return days;
  }
}
