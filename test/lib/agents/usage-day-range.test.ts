import { describe, expect, it } from 'vitest';
import { usageDayRange } from '../../../lib/agents/usage-day-range.js';

const NOW = Date.parse('2026-03-10T23:30:00Z');

describe('usageDayRange: the days sessions.usage covers', () => {
  it('defaults to the last 30 UTC days ending today; range and explicit dates override', () => {
    expect(usageDayRange({}, NOW, 'UTC')).toMatchObject({ startDate: '2026-02-09', endDate: '2026-03-10' });
    expect(usageDayRange({ range: '7d' }, NOW, 'UTC')).toMatchObject({ startDate: '2026-03-04', endDate: '2026-03-10' });
    expect(usageDayRange({ range: '1y' }, NOW, 'UTC')).toMatchObject({ startDate: '2025-03-11' });
    const all = usageDayRange({ range: 'all' }, NOW, 'UTC');
    expect(all.startDate).toBeUndefined();
    expect(all.includes('1999-01-01')).toBe(true);
    expect(all.includes('2026-03-11')).toBe(false);
    const explicit = usageDayRange({ startDate: '2026-01-01', endDate: '2026-01-31', range: '7d' }, NOW, 'UTC');
    expect(explicit).toMatchObject({ startDate: '2026-01-01', endDate: '2026-01-31' });
    expect(explicit.includes('2026-01-31')).toBe(true);
    expect(explicit.includes('2026-02-01')).toBe(false);
  });

  it('counts days in the zone asked for: gateway, a named zone, or a fixed UTC offset', () => {
    expect(usageDayRange({}, NOW, 'UTC').dayOf(NOW)).toBe('2026-03-10');
    expect(usageDayRange({ mode: 'gateway' }, NOW, 'Asia/Tokyo').dayOf(NOW)).toBe('2026-03-11');
    expect(usageDayRange({ mode: 'gateway' }, NOW, 'Asia/Tokyo').endDate).toBe('2026-03-11');
    expect(usageDayRange({ mode: 'specific', timeZone: 'America/Los_Angeles' }, NOW, 'UTC').dayOf(NOW)).toBe('2026-03-10');
    expect(usageDayRange({ timeZone: 'Asia/Kolkata' }, NOW, 'UTC').dayOf(NOW)).toBe('2026-03-11');
    expect(usageDayRange({ utcOffset: 'UTC+0:30' }, NOW, 'UTC').dayOf(NOW)).toBe('2026-03-11');
    expect(usageDayRange({ utcOffset: 'UTC-5' }, NOW, 'UTC').dayOf(NOW)).toBe('2026-03-10');
    // mode utc wins over a zone given with it.
    expect(usageDayRange({ mode: 'utc', timeZone: 'Asia/Tokyo' }, NOW, 'UTC').dayOf(NOW)).toBe('2026-03-10');
  });

  it('refuses what it cannot honour, saying why', () => {
    expect(() => usageDayRange({ startDate: '2026-03-05', endDate: '2026-03-01' }, NOW, 'UTC')).toThrow('startDate 2026-03-05 is after endDate 2026-03-01');
    expect(() => usageDayRange({ startDate: '2026-02-30' }, NOW, 'UTC')).toThrow('startDate 2026-02-30 is not a calendar date');
    expect(() => usageDayRange({ mode: 'specific' }, NOW, 'UTC')).toThrow('mode "specific" needs timeZone');
    expect(() => usageDayRange({ timeZone: 'Mars/Olympus_Mons' }, NOW, 'UTC')).toThrow('unknown timeZone "Mars/Olympus_Mons"');
    expect(() => usageDayRange({ utcOffset: 'UTC+15' }, NOW, 'UTC')).toThrow('out of range');
  });
});
