import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentParams } from '../../../lib/protocol/generated/types.js';
import type { InboundOutcome } from '../../../lib/channels/inbound-router.js';
import { RecordLog } from '../../../lib/record-log.js';
import { MemoryStorage, type AppendStorage, type Storage } from '../../../lib/storage.js';
import { recordingLogger } from '../../channels/helpers.js';
import { FakeChannel, startFakeGateway, type FakeGateway } from './fake-channel.js';

const JOURNAL = 'delivery/inbound.jsonl';

/** Keys of the messages journaled and not finished, as the next start would read them. */
async function journaled(storage: Storage): Promise<string[]> {
  return [...(await new RecordLog({ storage, key: JOURNAL }).load()).keys()];
}
const never = () => new Promise<never>(() => {});
const reply = (text: string) => async () => [{ text, mediaUrl: null }];

describe('inbound journal: messages survive a crash between their ack and the reply', () => {
  const gateways: FakeGateway[] = [];
  const start = async (...args: Parameters<typeof startFakeGateway>) => {
    const g = await startFakeGateway(...args);
    gateways.push(g);
    return g;
  };

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.gateway.close()));
  });

  it('a message whose run a crash cut off is replayed at the next start and answered exactly once', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage, { runAgent: never });
    // Resolves once the message is journaled: what the channel waits for before acking upstream.
    await first.channel.receive({ messageId: 'm1', text: 'are you there?' });
    expect(await storage.read(JOURNAL)).toContain('are you there?');

    const runs: AgentParams[] = [];
    const second = await start(storage, {
      runAgent: async (params) => {
        runs.push(params);
        return [{ text: 'yes', mediaUrl: null }];
      },
    });
    expect(await second.channel.waitForSent(1)).toEqual([{ to: 'chat-1', text: 'yes', replyTo: 'm1' }]);
    // A run of its own: the interrupted one keeps its id (and its interrupted result).
    expect(runs).toMatchObject([{ message: 'are you there?', idempotencyKey: 'fake:default:chat-1:m1#2' }]);
    await vi.waitFor(async () => expect(await journaled(storage)).toEqual([]));
    await second.gateway.close();

    // Nothing left for a third start to answer.
    const third = await start(storage, { runAgent: reply('again?') });
    await new Promise((r) => setTimeout(r, 50));
    expect(third.channel.sent).toEqual([]);
  });

  it('the channel may ack only once the message is journaled', async () => {
    const inner = new MemoryStorage();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const storage: AppendStorage = {
      read: (key) => inner.read(key),
      write: (key, data) => inner.write(key, data),
      append: async (key, data) => {
        if (key === JOURNAL) await gate;
        return inner.append(key, data);
      },
    };
    const { channel } = await start(storage, { runAgent: never });
    let acked = false;
    const ack = channel.receive({ messageId: 'm1', text: 'hold on' }).then(() => (acked = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(acked).toBe(false);
    release();
    await ack;
    expect(await inner.read(JOURNAL)).toContain('hold on');
  });

  it('a redelivery of a message being answered is not answered twice', async () => {
    const storage = new MemoryStorage();
    let finish!: () => void;
    const calls: string[] = [];
    const { channel, manager } = await start(storage, {
      runAgent: async (params) => {
        calls.push(params.idempotencyKey);
        await new Promise<void>((resolve) => (finish = resolve));
        return [{ text: 'done', mediaUrl: null }];
      },
    });
    const outcomes: InboundOutcome[] = [];
    manager.on('inbound', ({ outcome }) => outcomes.push(outcome));
    await channel.receive({ messageId: 'm1', text: 'x' });
    await channel.receive({ messageId: 'm1', text: 'x' });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    finish();
    await channel.waitForSent(1);
    await vi.waitFor(() => expect(outcomes).toHaveLength(1));
    expect(channel.sent).toHaveLength(1);
  });

  it('a message that never finishes is dropped, and logged, after three handlings', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage, { runAgent: never });
    await first.channel.receive({ messageId: 'poison', text: 'crash me' });
    await start(storage, { runAgent: never });
    await start(storage, { runAgent: never });
    const logger = recordingLogger();
    let called = false;
    await start(storage, {
      logger,
      runAgent: async () => {
        called = true;
        return [];
      },
    });
    await vi.waitFor(() => expect(logger.lines).toContainEqual(expect.stringContaining('dropping an inbound message handled 3 times without finishing')));
    expect(called).toBe(false);
  });

  it('on stop, answers being worked on go out before the accounts close (within drainTimeoutMs)', async () => {
    const storage = new MemoryStorage();
    let finish!: () => void;
    const { gateway, channel } = await start(storage, {
      drainTimeoutMs: 5000,
      runAgent: async () => {
        await new Promise<void>((resolve) => (finish = resolve));
        return [{ text: 'just in time', mediaUrl: null }];
      },
    });
    await channel.receive({ messageId: 'm1', text: 'quick' });
    const closing = gateway.close();
    await new Promise((r) => setTimeout(r, 50));
    finish();
    await closing;
    expect(channel.sent).toEqual([{ to: 'chat-1', text: 'just in time', replyTo: 'm1' }]);
    expect(await journaled(storage)).toEqual([]);
  });

  it('on stop, an answer that misses the deadline leaves its message for the next start', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage, { drainTimeoutMs: 50, runAgent: never });
    await first.channel.receive({ messageId: 'm1', text: 'slow one' });
    const began = Date.now();
    await first.gateway.close();
    expect(Date.now() - began).toBeLessThan(2000);

    const second = await start(storage, { channel: new FakeChannel(), runAgent: reply('sorry for the wait') });
    expect(await second.channel.waitForSent(1)).toEqual([{ to: 'chat-1', text: 'sorry for the wait', replyTo: 'm1' }]);
  });

  it('a replay after the reply reached the outbox does not answer twice', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage, { runAgent: reply('the answer') });
    first.channel.hang = true;
    await first.channel.receive({ messageId: 'm1', text: 'q' });
    await vi.waitFor(async () => expect(await storage.read('delivery/outbox.jsonl')).toContain(':reply:0'));

    const second = await start(storage, { runAgent: reply('the answer, again') });
    await second.channel.waitForSent(1);
    await new Promise((r) => setTimeout(r, 50));
    // The reply recorded before the crash went out; the replayed run's reply shares its key.
    expect(second.channel.sent).toEqual([{ to: 'chat-1', text: 'the answer', replyTo: 'm1' }]);
  });
});
