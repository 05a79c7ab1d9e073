import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { killAll } from '../bin/helpers.js';
import { HAS_POSTGRES, POSTGRES_SKIP_MESSAGE, startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { ClusterHarness, eventually, ownerOf } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

if (!HAS_POSTGRES) console.warn(POSTGRES_SKIP_MESSAGE);

describe.skipIf(!HAS_POSTGRES)('the channel owner cut off from PostgreSQL', () => {
  let pg: PostgresServer;
  let proxy: TcpProxy;
  let bot: BotApiStub;
  let cluster: ClusterHarness;

  beforeAll(async () => {
    pg = await startPostgresServer();
    proxy = await new TcpProxy(pg.port).start();
    bot = await new BotApiStub().start();
    cluster = await ClusterHarness.create(2, {
      postgresUrl: pg.url,
      // Instance 0 reaches the database only through the proxy, so the test can cut it off.
      postgresUrlFor: (index) => (index === 0 ? pg.url.replace(`:${pg.port}/`, `:${proxy.port}/`) : undefined),
      telegram: { apiRoot: bot.apiRoot, botToken: bot.token },
      leaseTtlMs: 3000,
    });
    // Instance 0 first, so it owns the account.
    await cluster.start([0]);
    await ownerOf([cluster.instance(0)]);
    await cluster.start([1]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
    await killAll();
    await proxy?.close();
    await bot?.close();
    await pg?.stop();
  });

  it('loses its lease and stops sending; the other instance takes over and delivers every send once', async () => {
    const [cutOff, other] = cluster.instances as [typeof cluster.instances[0], typeof cluster.instances[1]];
    const client = await other.client();
    const send = (key: string, text: string) => client.call('send', { channel: 'telegram', to: '777', message: text, idempotencyKey: key });
    await send('p-before', 'before the partition');
    expect(bot.sent().filter((c) => c.body.text === 'before the partition')).toHaveLength(1);

    proxy.cut();
    // The cut-off owner cannot renew: by its own clock it gives the account up at the TTL.
    await eventually(() => /lease telegram-default \(fencing token 1\) lost/.test(cutOff.output), 'the cut-off owner to report its lease lost', 20_000);
    // The other instance finds the lease expired, ends the lingering session, takes over with a new token.
    const during = await Promise.all([0, 1, 2].map((i) => send(`p-during-${i}`, `during the partition ${i}`)));
    expect(during.every((r) => r.channel === 'telegram')).toBe(true);
    expect(await ownerOf([other])).toBe(other);
    expect(other.output).toMatch(/account default owned by this process \(fencing token 2\)/);
    expect(other.output).toMatch(/let it expire; ended that holder's database session/);

    for (let i = 0; i < 3; i++) expect(bot.sent().filter((c) => c.body.text === `during the partition ${i}`)).toHaveLength(1);
    expect(bot.sent().filter((c) => c.body.text === 'before the partition')).toHaveLength(1);
    // The cut-off instance closed its poller before the new owner opened one: Telegram never had
    // to end one of two pollers (a 409 to the older).
    expect(cutOff.output).not.toMatch(/conflict \(409\)/);
    expect(cutOff.running).toBe(true);
  }, 90_000);
});
