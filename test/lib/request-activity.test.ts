import { describe, expect, it } from 'vitest';
import { RequestActivity } from '../../lib/request-activity.js';

describe('RequestActivity', () => {
  it('lists running requests with their age, then those finished within the window, most recent first', () => {
    let now = 1000;
    const activity = new RequestActivity(() => now);
    const endHealth = activity.begin('health');
    const endStatus = activity.begin('status');
    activity.begin('agent');
    now = 1300;
    endHealth();
    now = 1400;
    endStatus();
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
      const end = activity.begin(method);
      now += 10;
      end();
      end();
    }
    expect(activity.list(1000).map((r) => r.method)).toEqual(['c', 'b']);
  });
});
