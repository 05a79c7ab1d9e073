import { GatewayError } from '../errors.js';
import type { HeartbeatConfig } from './heartbeat-settings.js';

export type ActiveHours = NonNullable<HeartbeatConfig['activeHours']>;

/**
 * Whether `now` falls inside the daily window. `start` is inclusive, `end` exclusive (24:00 is
 * midnight at the end of the day), a window whose end is before its start spans midnight, and a
 * window without both ends or with equal ends does not restrict anything.
 */
export function isWithinActiveHours(hours: ActiveHours | undefined, now: number, userTimezone?: string): boolean {
  if (!hours?.start || !hours.end) return true;
  const start = minutesOfDay(hours.start);
  const end = minutesOfDay(hours.end);
  if (start === end) return true;
  const minute = minuteInZone(now, zoneOf(hours.timezone, userTimezone));
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function zoneOf(timezone: string | undefined, userTimezone: string | undefined): string | undefined {
  const zone = timezone?.trim() || 'user';
  if (zone === 'local') return undefined;
  if (zone === 'user') return userTimezone?.trim() || undefined;
  return zone;
}

function minutesOfDay(text: string): number {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text.trim());
  const hours = Number(match?.[1]);
  const minutes = Number(match?.[2]);
  if (!match || minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) {
    throw new GatewayError('CONFIG_INVALID', `heartbeat activeHours: invalid time "${text}" (use HH:MM, 00:00 to 24:00)`);
  }
  return hours * 60 + minutes;
}

function minuteInZone(now: number, timeZone: string | undefined): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(now));
  } catch {
    throw new GatewayError('CONFIG_INVALID', `heartbeat activeHours: unknown time zone "${timeZone}"`);
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

/** Checks a window up front, so a bad config fails at start instead of at the first heartbeat. */
export function checkActiveHours(hours: ActiveHours | undefined, userTimezone?: string): void {
  if (hours?.start) minutesOfDay(hours.start);
  if (hours?.end) minutesOfDay(hours.end);
  if (hours?.start && hours.end) minuteInZone(0, zoneOf(hours.timezone, userTimezone));
}
