import { describe, expect, it } from 'vitest';
import { MemoryEventBus, type EventBusEntry } from '../../lib/event-bus.js';

describe('MemoryEventBus', () => {
  it('delivers synchronously, in order, with growing cursors, to every subscriber until it unsubscribes', async () => {
    const bus = new MemoryEventBus<string>();
    const a: EventBusEntry<string>[] = [];
    const b: string[] = [];
    bus.subscribe((e) => a.push(e));
    const off = bus.subscribe((e) => b.push(e.value));
    const first = bus.publish('one');
    // Delivered before publish returned: a broadcast reaches local clients at once, as without a bus.
    expect(a.map((e) => e.value)).toEqual(['one']);
    expect(await first).toBe(1);
    off();
    await bus.publish('two');
    expect(a).toEqual([{ cursor: 1, value: 'one' }, { cursor: 2, value: 'two' }]);
    expect(b).toEqual(['one']);
    expect(bus.head).toBe(2);
  });

  it('replays what it retains after a cursor, and says when older entries are gone or too many', async () => {
    const bus = new MemoryEventBus<number>({ retain: 3 });
    for (let i = 1; i <= 5; i++) await bus.publish(i * 10);
    expect(await bus.read(2, 5)).toEqual({ entries: [{ cursor: 3, value: 30 }, { cursor: 4, value: 40 }, { cursor: 5, value: 50 }], complete: true });
    expect(await bus.read(3, 4)).toEqual({ entries: [{ cursor: 4, value: 40 }], complete: true });
    // Cursor 2 is gone: entry 2 cannot be replayed, so the read is incomplete and empty.
    expect(await bus.read(1, 5)).toEqual({ entries: [], complete: false });
    expect((await bus.read(2, 5, 2)).complete).toBe(false);
    expect(await bus.read(5, 9)).toEqual({ entries: [], complete: true });
    const late: number[] = [];
    bus.subscribe((e) => late.push(e.cursor), { after: 3 });
    expect(late).toEqual([4, 5]);
  });

  it('each bus names its own cursor space, and a closed one refuses to publish', async () => {
    const a = new MemoryEventBus();
    expect(a.id).not.toBe(new MemoryEventBus().id);
    await a.close();
    await expect(a.publish('x')).rejects.toThrow(/closed/);
  });
});
