import { describe, expect, it } from 'vitest';
import { AuthRateLimiter, sourceKey, type AuthRateLimiterOptions } from '../../lib/auth-rate-limiter.js';
import { ManualClock } from '../helpers/manual-clock.js';

function limiter(options: AuthRateLimiterOptions = {}): { limiter: AuthRateLimiter; advance(ms: number): Promise<void> } {
  const clock = new ManualClock();
  return { limiter: new AuthRateLimiter({ clock, ...options }), advance: (ms) => clock.advance(ms) };
}

const attacker = { keys: [sourceKey('203.0.113.9')] };

describe('AuthRateLimiter', () => {
  it('backs off exponentially per key from 250 ms to a 5 s cap, and refuses until then', async () => {
    const { limiter: l, advance } = limiter();
    expect(l.check(attacker)).toEqual({ ok: true });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const blocked = l.failed(attacker);
      delays.push(blocked);
      expect(l.check(attacker)).toEqual({ ok: false, retryAfterMs: blocked });
      await advance(blocked - 1);
      expect(l.check(attacker).ok).toBe(false);
      await advance(1);
      expect(l.check(attacker)).toEqual({ ok: true });
    }
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('resets a key on success, and forgets a key that stopped failing', async () => {
    const { limiter: l, advance } = limiter({ forgetAfterMs: 60_000 });
    l.failed(attacker);
    l.failed(attacker);
    await advance(500);
    l.succeeded(attacker);
    expect(l.failed(attacker)).toBe(250);
    await advance(60_000);
    expect(l.failed(attacker)).toBe(250);
  });

  it('keeps one address from slowing another; an IPv6 host is one key for its whole /64', async () => {
    const { limiter: l } = limiter();
    for (let i = 0; i < 5; i++) l.failed({ keys: [sourceKey(`2001:db8:1:2::${i.toString(16)}`)] });
    expect(l.check({ keys: [sourceKey('2001:db8:1:2:ffff:0:0:99')] }).ok).toBe(false);
    expect(sourceKey('2001:0db8:0001:0002:0000:0000:0000:0001')).toBe(sourceKey('2001:db8:1:2::1'));
    expect(l.check({ keys: [sourceKey('2001:db8:1:3::1')] })).toEqual({ ok: true });
    expect(l.check({ keys: [sourceKey('198.51.100.1')] })).toEqual({ ok: true });
    expect(sourceKey('::1')).toBe('source:0:0:0:0::/64');
  });

  it('caps failures across all untrusted keys, so many addresses cannot add up to a fast guesser', async () => {
    const { limiter: l, advance } = limiter({ globalBurst: 10, globalFailuresPerSecond: 5 });
    let compared = 0;
    // 2,000 distinct addresses, one guess each, spread over 10 seconds.
    for (let i = 0; i < 2000; i++) {
      const from = { keys: [sourceKey(`10.0.${i >> 8}.${i & 255}`)] };
      const verdict = l.check(from);
      if (verdict.ok) {
        compared += 1;
        l.failed(from);
      } else {
        expect(verdict.retryAfterMs).toBeGreaterThan(0);
        expect(verdict.retryAfterMs).toBeLessThanOrEqual(200);
      }
      await advance(5);
    }
    // The burst, plus 5 per second for 10 seconds.
    expect(compared).toBeLessThanOrEqual(10 + 5 * 10 + 1);
    expect(compared).toBeGreaterThanOrEqual(50);
  });

  it('never slows a trusted device, or a key that authenticated before, for the failures of others', async () => {
    const { limiter: l } = limiter({ globalBurst: 3, globalFailuresPerSecond: 1 });
    const known = { keys: [sourceKey('192.0.2.7')] };
    l.succeeded(known);
    for (let i = 0; i < 50; i++) l.failed({ keys: [sourceKey(`10.1.0.${i}`)] });
    expect(l.check({ keys: [sourceKey('10.2.0.1')] }).ok).toBe(false);
    expect(l.check(known)).toEqual({ ok: true });
    expect(l.check({ keys: ['device:paired'], trusted: true })).toEqual({ ok: true });
  });

  it('remembers a bounded number of keys', async () => {
    const { limiter: l } = limiter({ maxKeys: 100, globalBurst: 1e9 });
    for (let i = 0; i < 5000; i++) l.failed({ keys: [`source:${i}`] });
    expect(l.trackedKeys).toBe(100);
    // The most recent failures are the ones kept.
    expect(l.check({ keys: ['source:4999'] }).ok).toBe(false);
    expect(l.check({ keys: ['source:0'] }).ok).toBe(true);
  });
});
