import { afterEach, describe, expect, it, vi } from "vitest";
import { CronJobStore } from "../../../lib/cron/cron-job-store.js";
import type { CronRunOutcome } from "../../../lib/cron/cron-job-runner.js";
import { CronRunLog } from "../../../lib/cron/cron-run-log.js";
import { CronScheduler } from "../../../lib/cron/cron-scheduler.js";
import type { Leadership } from "../../../lib/lease-leadership.js";
import { silentLogger } from "../../../lib/logger.js";
import { PrefixedStorage } from "../../../lib/prefixed-storage.js";
import { MemoryStorage, type AppendStorage } from "../../../lib/storage.js";
import { ManualClock } from "../../helpers/manual-clock.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

/** One store seen by several processes: a change through one view is announced (asynchronously) to the others, as PostgreSQL's NOTIFY does. */
class SharedMemory {
  readonly #data = new MemoryStorage();
  readonly #listeners = new Map<object, Set<(key: string) => void>>();

  view(): AppendStorage {
    const data = this.#data;
    const self = {};
    const listeners = new Set<(key: string) => void>();
    this.#listeners.set(self, listeners);
    const changed = (key: string) => {
      for (const [owner, set] of this.#listeners)
        if (owner !== self)
          for (const l of set) setImmediate(() => l(key));
    };
    return {
      read: (key) => data.read(key),
      write: async (key, text) => {
        await data.write(key, text);
        changed(key);
      },
      append: async (key, text) => {
        await data.append(key, text);
        changed(key);
      },
      remove: async (key) => {
        await data.remove(key);
        changed(key);
      },
      compareAndSet: async (key, expected, next) => {
        const ok = await data.compareAndSet(key, expected, next);
        if (ok) changed(key);
        return ok;
      },
      onExternalChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  }
}

class ManualLeadership implements Leadership {
  #leading: boolean;
  readonly #listeners = new Set<(leading: boolean) => void>();

  constructor(leading: boolean) {
    this.#leading = leading;
  }

  get leading(): boolean {
    return this.#leading;
  }

  set(leading: boolean): void {
    this.#leading = leading;
    for (const l of this.#listeners) l(leading);
  }

  onChange(listener: (leading: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

interface Instance {
  name: string;
  scheduler: CronScheduler;
  leadership: ManualLeadership;
}

const schedulers: CronScheduler[] = [];
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
});

function setup() {
  const shared = new SharedMemory();
  const clock = new ManualClock(T0);
  const ran: string[] = [];
  /** Runs of this name never finish (the process dies during them). */
  const hang = new Set<string>();
  const instance = (name: string, leading: boolean): Instance => {
    const storage = new PrefixedStorage(shared.view(), "cron/");
    const leadership = new ManualLeadership(leading);
    const scheduler = new CronScheduler({
      store: new CronJobStore({ storage, logger: silentLogger }),
      runLog: new CronRunLog({ storage }),
      clock,
      logger: silentLogger,
      execute: (job) => {
        ran.push(`${name} ${job.name}`);
        if (hang.has(name)) return new Promise<CronRunOutcome>(() => undefined);
        return Promise.resolve({ status: "ok" });
      },
      emit: () => undefined,
      leadership,
    });
    schedulers.push(scheduler);
    return { name, scheduler, leadership };
  };
  return { clock, ran, hang, a: instance("a", true), b: instance("b", false) };
}

const every = (name: string) => ({
  name,
  schedule: { kind: "every" as const, everyMs: MINUTE },
  sessionTarget: "main" as const,
  wakeMode: "now" as const,
  payload: { kind: "systemEvent" as const, text: name },
});

const names = (i: Instance) => i.scheduler.jobs().map((j) => j.name).sort();

describe("cron scheduler on shared storage with a leadership (a cluster)", () => {
  it("jobs added on either instance list on both, concurrent adds are all kept, and only the leader runs them", async () => {
    const { clock, ran, a, b } = setup();
    await a.scheduler.start();
    await b.scheduler.start();
    await b.scheduler.add(every("from b"));
    await vi.waitFor(() => expect(names(a)).toEqual(["from b"]));
    await Promise.all([
      ...[1, 2, 3].map((i) => a.scheduler.add(every(`a${i}`))),
      ...[1, 2, 3].map((i) => b.scheduler.add(every(`b${i}`))),
    ]);
    const all = ["a1", "a2", "a3", "b1", "b2", "b3", "from b"];
    await vi.waitFor(() => {
      expect(names(a)).toEqual(all);
      expect(names(b)).toEqual(all);
    });
    expect(b.scheduler.nextWakeAtMs).toBeNull();

    await clock.advance(MINUTE);
    await vi.waitFor(() => expect(ran).toHaveLength(7));
    expect(ran.every((r) => r.startsWith("a "))).toBe(true);
    // The run state the leader wrote reaches the other instance, and the run logs are shared.
    const fromB = b.scheduler.jobs().find((j) => j.name === "from b")!;
    await vi.waitFor(() => expect(b.scheduler.get(fromB.id)?.state.lastStatus).toBe("ok"));
    expect(await b.scheduler.runs(fromB.id)).toMatchObject([{ status: "ok", runAtMs: T0 + MINUTE }]);

    await b.scheduler.remove(fromB.id);
    await vi.waitFor(() => expect(names(a)).toHaveLength(6));
    await clock.advance(MINUTE);
    await vi.waitFor(() => expect(ran).toHaveLength(13));
    expect(ran.filter((r) => r === "a from b")).toHaveLength(1);
  });

  it("a new leader settles the run the old one died in and runs what came due meanwhile once, as a restart does", async () => {
    const { clock, ran, hang, a, b } = setup();
    await a.scheduler.start();
    await b.scheduler.start();
    const job = await a.scheduler.add(every("job"));
    await a.scheduler.add(every("other"));
    await vi.waitFor(() => expect(names(b)).toEqual(["job", "other"]));
    hang.add("a");
    // One run at a time: "other" waits, due, behind the run that never ends.
    await clock.advance(MINUTE);
    expect(ran).toEqual(["a job"]);
    await vi.waitFor(() => expect(b.scheduler.get(job.id)?.state.runningAtMs).toBe(T0 + MINUTE));

    // a dies mid-run; nobody leads for three minutes, then b takes over.
    a.leadership.set(false);
    await a.scheduler.stop();
    await clock.advance(3 * MINUTE);
    expect(ran).toEqual(["a job"]);
    b.leadership.set(true);
    await vi.waitFor(() => expect(ran).toEqual(["a job", "b other"]));
    expect(await b.scheduler.runs(job.id)).toMatchObject([
      { status: "error", error: "interrupted: the gateway stopped during the run", runAtMs: T0 + MINUTE },
    ]);
    expect(b.scheduler.get(job.id)?.state).toMatchObject({ nextRunAtMs: T0 + 5 * MINUTE, lastStatus: "error" });
    await clock.advance(MINUTE);
    await vi.waitFor(() => expect(ran.slice(2).sort()).toEqual(["b job", "b other"]));
  });

  it("without a leadership on its own storage it schedules as a single gateway does", async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock(T0);
    const ran: string[] = [];
    const scheduler = new CronScheduler({
      store: new CronJobStore({ storage, logger: silentLogger }),
      runLog: new CronRunLog({ storage }),
      clock,
      logger: silentLogger,
      execute: (job) => {
        ran.push(job.name);
        return Promise.resolve({ status: "ok" });
      },
      emit: () => undefined,
    });
    schedulers.push(scheduler);
    await scheduler.start();
    await scheduler.add(every("solo"));
    await clock.advance(2 * MINUTE);
    expect(ran).toEqual(["solo", "solo"]);
    expect(JSON.parse((await storage.read("jobs.json"))!).jobs).toHaveLength(1);
  });
});
