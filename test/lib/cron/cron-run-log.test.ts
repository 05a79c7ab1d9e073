import { describe, expect, it } from "vitest";
import { CronRunLog } from "../../../lib/cron/cron-run-log.js";
import { nextRunAt } from "../../../lib/cron/cron-schedule.js";
import { MemoryStorage } from "../../../lib/storage.js";

describe("CronRunLog", () => {
  it("keeps the newest maxEntries runs per job and skips a torn line", async () => {
    const storage = new MemoryStorage();
    const log = new CronRunLog({ storage, maxEntries: 3 });
    for (let i = 1; i <= 250; i++)
      await log.append({ ts: i, jobId: "a", action: "finished", status: "ok" });
    const lines = (await storage.read("runs/a.jsonl"))!.trim().split("\n");
    // Cut back to 3 at the 204th line (3 + 200 slack exceeded); 46 appended since.
    expect(lines.length).toBe(49);
    await storage.append("runs/a.jsonl", '{"ts":25');
    expect((await log.read("a")).slice(-3).map((e) => e.ts)).toEqual([
      248, 249, 250,
    ]);
    await log.remove("a");
    expect(await log.read("a")).toEqual([]);
  });
});

describe("nextRunAt", () => {
  it("steps an interval from its anchor and never returns a time in the past", () => {
    expect(
      nextRunAt({ kind: "every", everyMs: 10, anchorMs: 100 }, 50, 0),
    ).toBe(100);
    expect(
      nextRunAt({ kind: "every", everyMs: 10, anchorMs: 100 }, 100, 0),
    ).toBe(110);
    expect(nextRunAt({ kind: "every", everyMs: 10 }, 1234, 1000)).toBe(1240);
  });

  it("reads a cron expression in its time zone, skipping the hour DST removes", () => {
    // 02:30 does not exist in New York on 2026-03-08; croner runs a fixed-time job right after the gap.
    const next = nextRunAt(
      { kind: "cron", expr: "30 2 * * *", tz: "America/New_York" },
      Date.UTC(2026, 2, 8, 5),
      0,
    );
    expect(new Date(next!).toISOString()).toBe("2026-03-08T07:00:00.000Z");
  });
});
