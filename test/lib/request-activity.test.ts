import { describe, expect, it } from 'vitest';
import { RequestActivity } from '../../lib/request-activity.js';

describe('RequestActivity', () => {
  it('lists running requests with their age, then those finished within the window, most recent first', () => {
    let now = 1000;
    const activity = new RequestActivity(() => now);
    const health = activity.begin('health');
    const status = activity.begin('status');
    activity.begin('agent');
    now = 1300;
    activity.end(health);
    now = 1400;
    activity.end(status);
    now = 1500;
    expect(activity.list()).toEqual([{ method: 'agent', ms: 500, running: true }]);
    expect(activity.list(150)).toEqual([
      { method: 'agent', ms: 500, running: true },
      { method: 'status', ms: 400, running: false },
    ]);
    expect(activity.list(1000).map((r) => r.method)).toEqual(['agent', 'status', 'health']);
  });

  it('keeps only the last few finished requests, and ending twice counts once', () => {
    let now = 0;
    const activity = new RequestActivity(() => now, 2);
    for (const method of ['a', 'b', 'c']) {
      const mark = activity.begin(method);
      now += 10;
      expect(activity.end(mark)).toBe(10);
      now += 5;
      expect(activity.end(mark)).toBe(10);
    }
    expect(activity.list(1000).map((r) => r.method)).toEqual(['c', 'b']);
  });

  it('reports each request to onEnd once, with its outcome and duration', () => {
    let now = 0;
    const ended: Array<[string, string, number]> = [];
    const activity = new RequestActivity(() => now, 4, (...args) => ended.push(args));
    const mark = activity.begin('agent');
    now = 7;
    activity.end(mark, 'UNAVAILABLE');
    activity.end(mark, 'ok');
    expect(ended).toEqual([['agent', 'UNAVAILABLE', 7]]);
  });
});
