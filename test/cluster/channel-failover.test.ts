import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../lib/client/index.js';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { killAll, runCli } from '../bin/helpers.js';
import { PostgresCluster } from '../../cluster/postgres.js';
import { ChannelPairingStore } from '../../lib/channels/channel-pairing-store.js';
import { HAS_POSTGRES, POSTGRES_SKIP_MESSAGE, startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { ClusterHarness, eventually, ownerOf } from './harness.js';

if (!HAS_POSTGRES) console.warn(POSTGRES_SKIP_MESSAGE);

function send(client: GatewayClient, key: string, text: string) {
  return client.call('send', { channel: 'telegram', to: '777', message: text, idempotencyKey: key });
}

describe.skipIf(!HAS_POSTGRES)('channel ownership across gateway processes (PostgreSQL)', () => {
  let pg: PostgresServer;
  let bot: BotApiStub;
  let cluster: ClusterHarness;

  beforeAll(async () => {
    pg = await startPostgresServer();
    bot = await new BotApiStub().start();
    cluster = await ClusterHarness.create(2, { postgresUrl: pg.url, telegram: { apiRoot: bot.apiRoot, botToken: bot.token }, leaseTtlMs: 3000 });
    await cluster.start();
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
    await killAll();
    await bot?.close();
    await pg?.stop();
  });

  const delivered = (text: string) => bot.sent().filter((c) => c.body.text === text).length;

  it('a send through the instance that does not own the account is delivered once, by the owner', async () => {
    const owner = await ownerOf(cluster.instances);
    const other = cluster.instances.find((i) => i !== owner)!;
    const result = await send(await other.client(), 'k-1', 'hello from the other one');
    expect(result.channel).toBe('telegram');
    expect(delivered('hello from the other one')).toBe(1);
  }, 60_000);

  it('the same idempotency key through both instances at once is delivered once, and both get its result', async () => {
    const [a, b] = await Promise.all(cluster.instances.map((i) => i.client()));
    const results = await Promise.all([send(a!, 'k-twice', 'only once'), send(b!, 'k-twice', 'only once'), send(a!, 'k-twice', 'only once')]);
    expect(delivered('only once')).toBe(1);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
    // And later, through either: the recorded result, nothing sent again.
    expect((await send(b!, 'k-twice', 'only once')).messageId).toBe(results[0]!.messageId);
    expect(delivered('only once')).toBe(1);
  }, 60_000);

  it('SIGKILL of the owner: the other instance takes the account over; no send is lost or repeated', async () => {
    const owner = await ownerOf(cluster.instances);
    const survivor = cluster.instances.find((i) => i !== owner)!;
    const viaOwner = await owner.client();
    const viaSurvivor = await survivor.client();
    for (let i = 0; i < 3; i++) {
      await send(viaOwner, `before-o-${i}`, `before via owner ${i}`);
      await send(viaSurvivor, `before-s-${i}`, `before via survivor ${i}`);
    }
    await owner.kill();
    // Sends while nobody owns the account wait in the shared outbox for the next owner.
    const during = await Promise.all([0, 1, 2].map((i) => send(viaSurvivor, `during-${i}`, `during failover ${i}`)));
    expect(during.map((r) => r.channel)).toEqual(['telegram', 'telegram', 'telegram']);
    expect(await ownerOf([survivor])).toBe(survivor);
    for (let i = 0; i < 3; i++) {
      expect(delivered(`before via owner ${i}`)).toBe(1);
      expect(delivered(`before via survivor ${i}`)).toBe(1);
      expect(delivered(`during failover ${i}`)).toBe(1);
    }
    expect(survivor.output).toMatch(/account default owned by this process \(fencing token [2-9]\)/);
  }, 90_000);

  it('openclaw pairing approve on any instance\'s host approves in the shared store', async () => {
    const store = await PostgresCluster.connect({ url: pg.url, instanceId: 'test' });
    try {
      const pairing = new ChannelPairingStore({ storage: store.storage });
      const issued = (await pairing.request('telegram', { senderId: '4711', senderName: 'Ada' }))!;
      const r = await runCli(['pairing', 'approve', 'telegram', issued.request.code, '--json'], cluster.instance(1).testEnv, 30_000);
      expect(r.code, r.output).toBe(0);
      expect(await new ChannelPairingStore({ storage: store.storage }).isAllowed('telegram', ['4711'])).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('cron: a job added on one instance lists on the other, runs in one instance at a time, and keeps running after that one is killed', async () => {
    const stopped = cluster.instances.find((i) => !i.running);
    if (stopped) await stopped.start();
    const [a, b] = await Promise.all(cluster.instances.map((i) => i.client()));
    const job = await a!.call('cron.add', {
      name: 'tick',
      schedule: { kind: 'every', everyMs: 1000 },
      sessionTarget: 'main',
      wakeMode: 'next-heartbeat',
      payload: { kind: 'systemEvent', text: 'cron tick' },
    });
    await eventually(async () => (await b!.call('cron.list', {})).jobs.some((j) => j.id === job.id), 'the job to list on the other instance');
    // Only the holder of the cron lease arms its timer.
    const leader = await eventually(async () => {
      const waking = [];
      for (const i of cluster.instances) if ((await (await i.client()).call('cron.status', {})).nextWakeAtMs !== null) waking.push(i);
      return waking.length === 1 && waking[0];
    }, 'one instance to lead cron');
    const survivor = cluster.instances.find((i) => i !== leader)!;
    const viaSurvivor = await survivor.client();
    const runs = async () => (await viaSurvivor.call('cron.runs', { id: job.id })).entries;
    await eventually(async () => (await runs()).length >= 2, 'the leader to run the job');
    await leader!.kill();
    const killedAt = Date.now();
    await eventually(async () => (await runs()).filter((e) => (e.runAtMs ?? 0) > killedAt).length >= 2, 'the other instance to run the job', 30_000);
    const entries = await runs();
    // A kill in the middle of a run leaves that run to be logged as interrupted by the next leader.
    expect(entries.filter((e) => e.status !== 'ok').map((e) => e.error)).toEqual(entries.filter((e) => e.status !== 'ok').map(() => 'interrupted: the gateway stopped during the run'));
    // Every slot ran once cluster-wide: two runs of one slot would name the same next slot.
    expect(new Set(entries.map((e) => e.nextRunAtMs)).size).toBe(entries.length);
    await viaSurvivor.call('cron.remove', { id: job.id });
  }, 90_000);

  it('an owner paused past its TTL (SIGSTOP) is superseded, and once it runs again it does not send: every send goes out once', async () => {
    const stopped = cluster.instances.find((i) => !i.running);
    if (stopped) await stopped.start();
    const owner = await ownerOf(cluster.instances);
    const standby = cluster.instances.find((i) => i !== owner)!;
    const viaOwner = await owner.client();
    const viaStandby = await standby.client();
    owner.pause();
    try {
      // Waits in the shared outbox until the standby finds the lease expired and takes over.
      await send(viaStandby, 'paused-1', 'while the owner is paused');
      expect(await ownerOf([standby])).toBe(standby);
    } finally {
      owner.resume();
    }
    // The old owner's first act after waking: a send through it. Its lease is gone (its token is
    // fenced off, its session was ended), so the send goes to the new owner instead.
    await send(viaOwner, 'paused-2', 'right after waking up');
    await ownerOf(cluster.instances, 'ownership to settle after the pause');
    expect(delivered('while the owner is paused')).toBe(1);
    expect(delivered('right after waking up')).toBe(1);
    expect(owner.output).toMatch(/lease telegram-default \(fencing token \d+\) lost/);
    expect(await ownerOf(cluster.instances)).toBe(standby);
  }, 90_000);
});
