import { invalidRequest } from '../errors.js';
import type { SessionsUsageParams } from '../protocol/generated/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const RANGE_DAYS: Record<Exclude<NonNullable<SessionsUsageParams['range']>, 'all'>, number> = { '7d': 7, '30d': 30, '90d': 90, '1y': 365 };
/** With no dates and no range: the last 30 days, as `usage.cost` counts by default. */
const DEFAULT_DAYS = 30;

/** The days a usage report covers and how a moment maps to its day (`YYYY-MM-DD`). */
export interface UsageDayRange {
  /** Undefined for `range: "all"`: no lower bound. */
  startDate: string | undefined;
  endDate: string;
  dayOf(ms: number): string;
  includes(day: string): boolean;
}

/**
 * Reads the date parameters of `sessions.usage`: explicit `startDate`/`endDate`, else `range`,
 * else the last 30 days, all ending today; days are UTC unless `mode` is `gateway` (this host's
 * zone) or `specific` (`timeZone`, or the deprecated `utcOffset`). `gatewayTimeZone` is
 * injected so tests do not depend on the machine's zone.
 */
export function usageDayRange(params: SessionsUsageParams, now: number, gatewayTimeZone: string): UsageDayRange {
  for (const [name, day] of [['startDate', params.startDate], ['endDate', params.endDate]] as const) {
    if (day !== undefined && !validDay(day)) throw invalidRequest(`${name} ${day} is not a calendar date`);
  }
  const dayOf = dayFunction(params, gatewayTimeZone);
  const today = dayOf(now);
  const endDate = params.endDate ?? today;
  let startDate: string | undefined;
  if (params.startDate !== undefined) startDate = params.startDate;
  else if (params.range === 'all') startDate = undefined;
  else startDate = shiftDay(endDate, -((params.range ? RANGE_DAYS[params.range] : DEFAULT_DAYS) - 1));
  if (startDate !== undefined && startDate > endDate) throw invalidRequest(`startDate ${startDate} is after endDate ${endDate}`);
  return { startDate, endDate, dayOf, includes: (day) => day <= endDate && (startDate === undefined || day >= startDate) };
}

function dayFunction(params: SessionsUsageParams, gatewayTimeZone: string): (ms: number) => string {
  const mode = params.mode ?? (params.timeZone !== undefined || params.utcOffset !== undefined ? 'specific' : 'utc');
  if (mode === 'utc') return utcDay;
  if (mode === 'gateway') return zoneDay(gatewayTimeZone);
  if (params.timeZone !== undefined) return zoneDay(params.timeZone);
  if (params.utcOffset !== undefined) {
    const offsetMs = parseUtcOffset(params.utcOffset);
    return (ms) => utcDay(ms + offsetMs);
  }
  throw invalidRequest('mode "specific" needs timeZone (or utcOffset)');
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function zoneDay(timeZone: string): (ms: number) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch {
    throw invalidRequest(`unknown timeZone "${timeZone}" (an IANA zone such as Europe/Lisbon)`);
  }
  return (ms) => {
    const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  };
}

/** `UTC+5:30` → 19 800 000 ms. The schema already checked the shape. */
function parseUtcOffset(offset: string): number {
  const match = /^UTC([+-])(\d{1,2})(?::(\d{2}))?$/.exec(offset)!;
  const hours = Number(match[2]);
  const minutes = Number(match[3] ?? 0);
  if (hours > 14) throw invalidRequest(`utcOffset ${offset} is out of range (UTC-14 to UTC+14)`);
  return (match[1] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}

function shiftDay(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS);
}

function validDay(day: string): boolean {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return Number.isFinite(ms) && utcDay(ms) === day;
}
