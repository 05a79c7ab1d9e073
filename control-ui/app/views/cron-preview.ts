import type { CronSchedule } from '../../../lib/protocol/generated/types.js';

export type SchedulePreview = { ok: true; runs: number[] } | { ok: false; error: string };

interface CronerLike {
  nextRuns(count: number, from: Date): Date[];
}
type CronerConstructor = new (expr: string, options: { timezone?: string; paused: boolean }) => CronerLike;

let croner: Promise<CronerConstructor> | undefined;
/** croner (the library the gateway reads schedules with) loads as its own chunk on the first preview. */
function loadCroner(): Promise<CronerConstructor> {
  croner ??= import('croner').then((m) => m.Cron as unknown as CronerConstructor);
  return croner;
}

/**
 * The next `count` run times of a schedule as the gateway will compute them, or why it cannot
 * run: an interval counts from `anchorMs` (a new job's anchor is its creation, about now), a cron
 * expression runs through croner in its time zone, a one-shot must lie ahead.
 */
export async function previewSchedule(schedule: CronSchedule, nowMs: number, count = 5, anchorMs = nowMs): Promise<SchedulePreview> {
  switch (schedule.kind) {
    case 'at': {
      const at = 'atMs' in schedule ? schedule.atMs : Date.parse(schedule.at);
      if (!Number.isFinite(at)) return { ok: false, error: 'Pick a date and time.' };
      if (at <= nowMs) return { ok: false, error: 'That time has passed; a one-shot job must run in the future.' };
      return { ok: true, runs: [at] };
    }
    case 'every': {
      if (!Number.isInteger(schedule.everyMs) || schedule.everyMs < 1_000) return { ok: false, error: 'The interval must be at least one second.' };
      const anchor = schedule.anchorMs ?? anchorMs;
      const first = nowMs < anchor ? anchor : anchor + (Math.floor((nowMs - anchor) / schedule.everyMs) + 1) * schedule.everyMs;
      return { ok: true, runs: Array.from({ length: count }, (_, i) => first + i * schedule.everyMs) };
    }
    case 'cron': {
      const expr = schedule.expr.trim();
      if (!expr) return { ok: false, error: 'Enter a cron expression, such as 0 9 * * 1-5.' };
      const Cron = await loadCroner();
      try {
        const tz = schedule.tz?.trim();
        const runs = new Cron(expr, { ...(tz ? { timezone: tz } : {}), paused: true }).nextRuns(count, new Date(nowMs)).map((d) => d.getTime());
        if (runs.length === 0) return { ok: false, error: 'This expression never runs again.' };
        return { ok: true, runs };
      } catch (err) {
        return { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    }
  }
}

const UNITS: Array<[number, string]> = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
];

/** `every 5 minutes`, `cron 0 9 * * 1-5 (Europe/Berlin)`, `once at 02/12/2026, 10:00:00`. */
export function describeSchedule(schedule: CronSchedule): string {
  switch (schedule.kind) {
    case 'at':
      return `once at ${new Date('atMs' in schedule ? schedule.atMs : Date.parse(schedule.at)).toLocaleString()}`;
    case 'every': {
      const [size, unit] = UNITS.find(([ms]) => schedule.everyMs % ms === 0) ?? [1, 'millisecond'];
      const n = schedule.everyMs / size;
      return n === 1 ? `every ${unit}` : `every ${n} ${unit}s`;
    }
    case 'cron':
      return `cron ${schedule.expr}${schedule.tz ? ` (${schedule.tz})` : ''}`;
  }
}

/** A run time in the viewer's zone, and in the job's zone too when that differs. */
export function formatRun(ms: number, tz?: string): string {
  const local = new Date(ms).toLocaleString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  if (!tz || tz === Intl.DateTimeFormat().resolvedOptions().timeZone) return local;
  try {
    return `${local} (${new Date(ms).toLocaleString(undefined, { timeZone: tz, hour: '2-digit', minute: '2-digit', weekday: 'short' })} ${tz})`;
  } catch {
    return local;
  }
}
