import { createRequire } from "node:module";
import type { Cron as CronClass } from "croner";
import { invalidRequest } from "../errors.js";

let croner: typeof CronClass | undefined;
/** croner, loaded the first time a cron expression is read: a gateway without such jobs never pays for it. */
function Cron(expr: string, options: { timezone?: string; paused: boolean }): { nextRun(from: Date): Date | null } {
  croner ??= (createRequire(import.meta.url)("croner") as { Cron: typeof CronClass }).Cron;
  return new croner(expr, options);
}

/** When a job runs, as it is stored: a one-shot time, a fixed interval, or a cron expression. */
export type CronScheduleSpec =
  | { kind: "at"; atMs: number }
  | { kind: "every"; everyMs: number; anchorMs?: number }
  | { kind: "cron"; expr: string; tz?: string };

/** A schedule as a client may send it: the seed's `atMs` or v4's ISO `at`; v4's `staggerMs` is not used. */
export type CronScheduleInput =
  | { kind: "at"; atMs: number }
  | { kind: "at"; at: string }
  | { kind: "every"; everyMs: number; anchorMs?: number }
  | { kind: "cron"; expr: string; tz?: string; staggerMs?: number };

/** Checks a schedule and brings it to the stored spelling; refuses what can never run. */
export function normalizeSchedule(
  input: CronScheduleInput,
  nowMs: number,
): CronScheduleSpec {
  switch (input.kind) {
    case "at": {
      if ("atMs" in input) return { kind: "at", atMs: input.atMs };
      const atMs = Date.parse(input.at);
      if (!Number.isFinite(atMs) || atMs < 0)
        throw invalidRequest(
          `schedule.at is not an ISO 8601 time: ${input.at}`,
        );
      return { kind: "at", atMs };
    }
    case "every":
      return {
        kind: "every",
        everyMs: input.everyMs,
        ...(input.anchorMs === undefined ? {} : { anchorMs: input.anchorMs }),
      };
    case "cron": {
      const tz = input.tz?.trim() || undefined;
      const spec: CronScheduleSpec = {
        kind: "cron",
        expr: input.expr.trim(),
        ...(tz ? { tz } : {}),
      };
      // croner reports a bad expression at construction and a bad time zone at the first computation.
      let next: number | undefined;
      try {
        next = cronNext(spec.expr, spec.tz, nowMs);
      } catch (err) {
        throw invalidRequest(
          `invalid cron schedule "${input.expr}"${tz ? ` (tz ${tz})` : ""}: ${(err as Error).message}`,
        );
      }
      if (next === undefined)
        throw invalidRequest(`cron schedule "${input.expr}" never runs again`);
      return spec;
    }
  }
}

/**
 * The first run time strictly after `afterMs`, or undefined when there is none. `createdAtMs`
 * anchors an interval that names no `anchorMs`. A one-shot answers its time whatever `afterMs` is:
 * until it has run it stays due, so one missed while the gateway was down still runs.
 */
export function nextRunAt(
  schedule: CronScheduleSpec,
  afterMs: number,
  createdAtMs: number,
): number | undefined {
  switch (schedule.kind) {
    case "at":
      return schedule.atMs;
    case "every": {
      const anchor = schedule.anchorMs ?? createdAtMs;
      if (afterMs < anchor) return anchor;
      return (
        anchor +
        (Math.floor((afterMs - anchor) / schedule.everyMs) + 1) *
          schedule.everyMs
      );
    }
    case "cron":
      return cronNext(schedule.expr, schedule.tz, afterMs);
  }
}

/** croner computes the time only; its own timers stay unused (no callback), the injected clock runs jobs. */
function cronNext(
  expr: string,
  tz: string | undefined,
  afterMs: number,
): number | undefined {
  const pattern = Cron(expr, {
    ...(tz ? { timezone: tz } : {}),
    paused: true,
  });
  return pattern.nextRun(new Date(afterMs))?.getTime();
}
