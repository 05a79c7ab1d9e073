import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { killAll } from '../bin/helpers.js';
import { HAS_POSTGRES, POSTGRES_SKIP_MESSAGE, startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { ClusterHarness, eventually } from './harness.js';

if (!HAS_POSTGRES) console.warn(POSTGRES_SKIP_MESSAGE);

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

  it('a send through the instance that does not own the account is delivered once, by the owner', async () => {
    const [a, b] = cluster.instances;
    const owner = await eventually(async () => {
      for (const instance of [a!, b!]) {
        const client = await instance.client();
        const status = await client.call('channels.status', {});
        client.close();
        if (status.channelAccounts.telegram?.[0]?.connected) return instance;
      }
      return undefined;
    }, 'one instance to own the Telegram account');
    const other = owner === a ? b! : a!;
    const client = await other.client();
    const result = await client.call('send', { channel: 'telegram', to: '777', message: 'hello from the other one', idempotencyKey: 'k-1' });
    expect(result.channel).toBe('telegram');
    expect(bot.sent().filter((c) => c.body.text === 'hello from the other one')).toHaveLength(1);
  }, 60_000);
});
