import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChannelSendError } from '../../../lib/channel.js';
import { RecordOutboxStore } from '../../../lib/channels/outbox-store.js';
import { RecordLog } from '../../../lib/record-log.js';
import { MemoryStorage } from '../../../lib/storage.js';
import { recordingLogger } from '../../channels/helpers.js';
import { FakeChannel, startFakeGateway, type FakeGateway } from './fake-channel.js';

const OUTBOX = 'delivery/outbox.jsonl';

/** Waits until the outbox file mentions `text` (a write that resolved is in the storage). */
async function recorded(storage: MemoryStorage, text: string): Promise<void> {
  await vi.waitFor(async () => expect(await storage.read(OUTBOX)).toContain(text));
}

describe('outbox: every send recorded before it goes out (nothing lost across restarts)', () => {
  const gateways: FakeGateway[] = [];
  const start = async (...args: Parameters<typeof startFakeGateway>) => {
    const g = await startFakeGateway(...args);
    gateways.push(g);
    return g;
  };

  it('a send the process died during is delivered once at the next start; its key then replays the result', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage);
    first.channel.hang = true;
    const params = { channel: 'fake', to: 'chat-9', message: 'hello', idempotencyKey: 'k-crash' };
    first.gateway.call('send', params).catch(() => undefined);
    await recorded(storage, 'send:k-crash');

    // "kill -9": another process starts over the same storage; the first is never closed.
    const second = await start(storage);
    const [sent] = await second.channel.waitForSent(1);
    expect(sent).toEqual({ to: 'chat-9', text: 'hello' });
    await recorded(storage, '"state":"delivered"');
    const again = await second.gateway.call('send', params);
    expect(again).toEqual({ runId: 'k-crash', channel: 'fake', messageId: 'out-1', chatId: 'chat-9' });
    expect(second.channel.sent).toHaveLength(1);
    await second.gateway.close();

    // And a third start has nothing left to send.
    const third = await start(storage);
    await third.gateway.call('send', params);
    expect(third.channel.sent).toHaveLength(0);
  });

  it('a duplicate send after a restart returns the recorded result instead of sending twice', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage);
    const params = { channel: 'fake', to: 'chat-1', message: 'once', idempotencyKey: 'k-dup' };
    const result = await first.gateway.call('send', params);
    await first.gateway.close();

    const second = await start(storage);
    expect(await second.gateway.call('send', params)).toEqual(result);
    expect(second.channel.sent).toHaveLength(0);
  });

  it('a recorded failure that may have reached the network is replayed after a restart, never retried', async () => {
    const storage = new MemoryStorage();
    const channel = new FakeChannel();
    const first = await start(storage, { channel });
    channel.send = async () => {
      throw new Error('socket hang up');
    };
    const params = { channel: 'fake', to: 'chat-1', message: 'maybe', idempotencyKey: 'k-maybe' };
    const err = await first.gateway.call('send', params).catch((e: unknown) => e);
    expect(err).toMatchObject({ deliveryUnknown: true, message: 'fake delivery failed: socket hang up' });
    await first.gateway.close();

    const second = await start(storage);
    const replayed = await second.gateway.call('send', params).catch((e: unknown) => e);
    expect(replayed).toBeInstanceOf(ChannelSendError);
    expect(replayed).toMatchObject({ code: 'UNAVAILABLE', deliveryUnknown: true, message: 'fake delivery failed: socket hang up' });
    expect(second.channel.sent).toHaveLength(0);
  });

  it('a pending send past its attempt limit is marked failed and logged at start, not sent', async () => {
    const storage = new MemoryStorage();
    const first = await start(storage);
    first.channel.hang = true;
    const params = { channel: 'fake', to: 'chat-1', message: 'late', idempotencyKey: 'k-cap' };
    first.gateway.call('send', params).catch(() => undefined);
    await recorded(storage, 'send:k-cap');

    const logger = recordingLogger();
    const second = await start(storage, { logger, outboxRetry: { maxAttempts: 1 } });
    await vi.waitFor(() => expect(logger.lines).toContainEqual(expect.stringContaining('outbox: fake delivery given up after 1 attempt(s)')));
    const err = await second.gateway.call('send', params).catch((e: unknown) => e);
    expect(err).toMatchObject({ deliveryUnknown: true, message: expect.stringContaining('given up after 1 attempt(s)') });
    expect(second.channel.sent).toHaveLength(0);
  });

  it("the agent's reply waits in the outbox while the account is down and goes out once when it reconnects", async () => {
    const storage = new MemoryStorage();
    const channel = new FakeChannel();
    channel.connected = false;
    const { manager } = await start(storage, { channel, runAgent: async () => [{ text: 'pong', mediaUrl: null }] });
    const outcome = new Promise((resolve) => manager.on('inbound', ({ outcome }) => resolve(outcome)));
    await channel.receive({ messageId: 'm1', text: 'ping' });
    expect(await outcome).toMatchObject({ action: 'replied', parts: 1 });
    expect(channel.sent).toHaveLength(0);
    await recorded(storage, 'fake:default:chat-1:m1:reply:0');

    channel.setConnected(true);
    expect(await channel.waitForSent(1)).toEqual([{ to: 'chat-1', text: 'pong', replyTo: 'm1' }]);
    channel.setConnected(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(channel.sent).toHaveLength(1);
  });

  it('a send the channel refuses while connected fails for good (no endless retries)', async () => {
    const storage = new MemoryStorage();
    const channel = new FakeChannel();
    const { manager } = await start(storage, { channel, runAgent: async () => [{ text: 'pong', mediaUrl: null }] });
    channel.send = async () => {
      throw new ChannelSendError('chat not found', { deliveryUnknown: false });
    };
    const outcome = new Promise((resolve) => manager.on('inbound', ({ outcome }) => resolve(outcome)));
    await channel.receive({ messageId: 'm1', text: 'ping' });
    expect(await outcome).toMatchObject({ action: 'failed', error: 'chat not found' });
    expect(await new RecordOutboxStore({ storage }).pending()).toEqual([]);
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.gateway.close()));
  });
});

describe('RecordOutboxStore', () => {
  it('compacts settled entries once past the retention or the limit', async () => {
    const storage = new MemoryStorage();
    let now = 1_000;
    const store = new RecordOutboxStore({ storage, now: () => now, retentionMs: 60_000, maxSettled: 50 });
    const message = { to: 'x', text: 'y' };
    for (let i = 0; i < 120; i++) {
      await store.enqueue({ key: `k${i}`, runId: `k${i}`, channel: 'fake', message, queued: false });
      await store.markDelivered(`k${i}`, { runId: `k${i}`, channel: 'fake', messageId: String(i) });
    }
    // 50 entries live on, in a file rewritten as it goes rather than 240 lines long.
    expect((await new RecordLog({ storage, key: OUTBOX }).load()).size).toBe(50);
    expect((await storage.read(OUTBOX))!.trim().split('\n').length).toBeLessThanOrEqual(2 * 50 + 2);
    expect(await store.get('k119')).toMatchObject({ state: 'delivered', result: { messageId: '119' } });
    expect(await store.get('k0')).toBeUndefined();

    // Past the retention only the entry settled now is kept.
    now += 120_000;
    await store.enqueue({ key: 'late', runId: 'late', channel: 'fake', message, queued: false });
    await store.markFailed('late', { message: 'no', deliveryUnknown: false });
    const reread = new RecordOutboxStore({ storage, now: () => now });
    expect((await Promise.all(['k119', 'late'].map((k) => reread.get(k)))).map((e) => e?.state)).toEqual([undefined, 'failed']);
  });

  it('lists pending sends oldest first and counts attempts', async () => {
    let now = 0;
    const store = new RecordOutboxStore({ storage: new MemoryStorage(), now: () => ++now });
    const message = { to: 'x', text: 'y' };
    await store.enqueue({ key: 'b', runId: 'b', channel: 'fake', message, queued: true });
    await store.enqueue({ key: 'a', runId: 'a', channel: 'fake', message, queued: true });
    expect(await store.markAttempt('b')).toMatchObject({ attempts: 2 });
    expect((await store.pending()).map((e) => e.key)).toEqual(['b', 'a']);
  });
});
