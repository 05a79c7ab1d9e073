import { describe, expect, it } from 'vitest';
import { IdempotencyCache } from '../../lib/idempotency-cache.js';

describe('IdempotencyCache', () => {
  it('runs a key once: concurrent callers share the in-flight task, later ones get the result', async () => {
    const cache = new IdempotencyCache<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const task = async () => {
      runs++;
      await gate;
      return 42;
    };
    const calls = [cache.run('k', task), cache.run('k', task), cache.run('k', task)];
    release();
    expect(await Promise.all(calls)).toEqual([42, 42, 42]);
    expect(await cache.run('k', task)).toBe(42);
    expect(runs).toBe(1);
  });

  it('forgets failures unless told to remember them', async () => {
    const cache = new IdempotencyCache<string>();
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new Error(`attempt ${runs}`);
    };
    await expect(cache.run('a', failing)).rejects.toThrow('attempt 1');
    await expect(cache.run('a', failing)).rejects.toThrow('attempt 2');
    const remember = { cacheError: () => true };
    await expect(cache.run('b', failing, remember)).rejects.toThrow('attempt 3');
    await expect(cache.run('b', failing, remember)).rejects.toThrow('attempt 3');
    expect(runs).toBe(3);
  });

  it('expires results after the TTL and keeps at most maxEntries settled ones', async () => {
    let now = 1_000;
    const cache = new IdempotencyCache<number>({ ttlMs: 100, maxEntries: 2, now: () => now });
    let runs = 0;
    const task = async () => ++runs;
    expect(await cache.run('x', task)).toBe(1);
    now += 50;
    expect(await cache.run('x', task)).toBe(1);
    now += 60;
    expect(await cache.run('x', task)).toBe(2);

    await cache.run('y', task);
    await cache.run('z', task);
    expect(cache.size).toBe(2);
    // x was the oldest and made room.
    expect(await cache.run('x', task)).toBe(5);
  });

  it('never evicts a task that is still running', async () => {
    const cache = new IdempotencyCache<string>({ maxEntries: 1 });
    let release!: () => void;
    const slow = cache.run('slow', () => new Promise<string>((r) => (release = () => r('slow done'))));
    await cache.run('a', async () => 'a');
    await cache.run('b', async () => 'b');
    let second = 0;
    const dup = cache.run('slow', async () => {
      second++;
      return 'dup';
    });
    release();
    expect(await slow).toBe('slow done');
    expect(await dup).toBe('slow done');
    expect(second).toBe(0);
  });
});
