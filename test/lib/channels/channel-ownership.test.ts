import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TelegramChannel } from '../../../channels/telegram.js';
import { WhatsAppChannel } from '../../../channels/whatsapp.js';
import type { ChannelsConfig } from '../../../lib/channels/channel-manager.js';
import { FileStorage } from '../../../lib/file-storage.js';
import type { Lease, LeaseProvider } from '../../../lib/lease.js';
import { Gateway } from '../../../lib/gateway.js';
import { channelsPlugin } from '../../../lib/plugins/channels-plugin.js';
import type { ChannelAccountSnapshot } from '../../../lib/protocol/generated/types.js';
import { channelsService } from '../../../lib/services.js';
import { FileLeaseProvider } from '../../../runtime/file-lease-provider.js';
import { BotApiStub } from '../../channels/bot-api-stub.js';
import { fakeWaNetwork, type FakeWaNetwork } from '../../channels/fake-wa-socket.js';
import { recordingLogger, waitForStatus } from '../../channels/helpers.js';
import { TOKEN } from '../../helpers/connect.js';
import { holderProcess } from '../../helpers/lease-holder.js';

const ME = '15551234567:3@s.whatsapp.net';
const FAST = { initialMs: 20, maxMs: 100, jitter: 0 };

/** One gateway process's channels over a shared state dir, with its own (fake) WhatsApp network. */
async function gatewayOn(stateDir: string, stub: BotApiStub, channels?: ChannelsConfig, leases: LeaseProvider = new FileLeaseProvider({ dir: join(stateDir, 'locks') })) {
  const wa = fakeWaNetwork();
  const logger = recordingLogger();
  const gateway = new Gateway({ auth: { mode: 'token', token: TOKEN }, stateDir, logger });
  gateway.use(
    channelsPlugin({
      definitions: [
        { id: 'whatsapp', label: 'WhatsApp', loginCreatesAccount: true, create: (ctx) => WhatsAppChannel.fromConfig(ctx, { socketFactory: wa.factory }) },
        { id: 'telegram', label: 'Telegram', create: (ctx) => TelegramChannel.fromConfig(ctx, { backoff: FAST }) },
      ],
      config: channels ?? { telegram: { botToken: stub.token, apiRoot: stub.apiRoot }, whatsapp: {} },
      storage: new FileStorage(stateDir),
      stateDir,
      logger,
      leases,
      leaseOptions: { retry: { initialMs: 50, maxMs: 200, jitter: 0 } },
    }),
  );
  await gateway.start();
  const manager = gateway.service(channelsService);
  const account = (channel: string): ChannelAccountSnapshot => manager.status().channelAccounts[channel]![0]!;
  return { gateway, manager, wa, logger, account };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one owner per channel account (leases over a shared state dir)', () => {
  const cleanup: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setup() {
    const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-owner-'));
    const stub = await new BotApiStub().start();
    cleanup.push(() => rm(stateDir, { recursive: true, force: true }), () => stub.close());
    return { stateDir, stub };
  }

  async function linkWhatsApp(wa: FakeWaNetwork, gateway: Gateway): Promise<void> {
    await gateway.call('web.login.start', {});
    const waiting = gateway.call('web.login.wait', { timeoutMs: 5000 });
    (await wa.socket(0)).scan(ME);
    expect(await waiting).toMatchObject({ connected: true });
  }

  it('a second gateway on the same state dir neither polls the bot nor opens the WhatsApp session, and takes over when the first stops', async () => {
    const { stateDir, stub } = await setup();
    const first = await gatewayOn(stateDir, stub);
    cleanup.push(() => first.gateway.close());
    await waitForStatus(first.manager.channel('telegram')!, (s) => s.connected);
    await linkWhatsApp(first.wa, first.gateway);

    const second = await gatewayOn(stateDir, stub);
    cleanup.push(() => second.gateway.close());
    for (const id of ['telegram', 'whatsapp']) {
      expect(second.account(id)).toMatchObject({ running: false, connected: false, lastError: expect.stringMatching(/^held by another gateway process \(.*locks/) });
      expect(second.manager.channel(id)).toBeUndefined();
    }
    expect(second.wa.sockets).toHaveLength(0);
    expect(second.logger.lines.some((l) => l.includes('not started: held by another gateway process'))).toBe(true);
    // Sends through the second fail fast, retryably, instead of reaching the network twice.
    const refused = await second.gateway.call('send', { channel: 'telegram', to: '7', message: 'x', idempotencyKey: 'o-1' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', retryable: true, retryAfterMs: expect.any(Number), message: expect.stringContaining('held by another gateway process') });
    await expect(second.gateway.call('channels.logout', { channel: 'whatsapp' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // Retrying goes on in the background and keeps failing while the first lives.
    await new Promise((r) => setTimeout(r, 300));
    expect(second.manager.channel('telegram')).toBeUndefined();
    expect(first.account('telegram')).toMatchObject({ running: true, connected: true, lastError: null });

    await first.gateway.close();
    await until(() => second.manager.channel('telegram') !== undefined && second.manager.channel('whatsapp') !== undefined);
    await waitForStatus(second.manager.channel('telegram')!, (s) => s.connected);
    await waitForStatus(second.manager.channel('whatsapp')!, (s) => s.connected);
    expect(second.wa.sockets).toHaveLength(1);
    expect(second.logger.lines.some((l) => /account default owned by this process \(fencing token 2\)/.test(l))).toBe(true);
    const sent = await second.gateway.call('send', { channel: 'telegram', to: '7', message: 'from the new owner', idempotencyKey: 'o-2' });
    expect(sent.channel).toBe('telegram');
  });

  it('takes an account over from a process that was killed (SIGKILL): the OS lock died with it', async () => {
    const { stateDir, stub } = await setup();
    const holder = holderProcess(join(stateDir, 'locks'), 'telegram-default');
    cleanup.push(async () => {
      holder.child.kill('SIGKILL');
      await holder.exited;
    });
    expect(await holder.said).toBe('held 1');

    const gw = await gatewayOn(stateDir, stub, { telegram: { botToken: stub.token, apiRoot: stub.apiRoot } });
    cleanup.push(() => gw.gateway.close());
    expect(gw.account('telegram').lastError).toMatch(/held by another gateway process/);
    await new Promise((r) => setTimeout(r, 200));
    expect(stub.sent('getUpdates')).toHaveLength(0);

    holder.child.kill('SIGKILL');
    await holder.exited;
    await until(() => gw.manager.channel('telegram') !== undefined);
    await waitForStatus(gw.manager.channel('telegram')!, (s) => s.connected);
    await stub.waitFor((c) => c.method === 'getUpdates');
    expect(gw.account('telegram')).toMatchObject({ running: true, lastError: null });
  });

  it('sends nothing through an account the moment its lease is lost, not even while its channel closes', async () => {
    const { stateDir, stub } = await setup();
    const losers: Array<(reason: string) => void> = [];
    let superseded = false;
    // A lease store the test controls: it grants a lease until another holder supersedes us.
    const leases: LeaseProvider = {
      describe: (key) => `test:${key}`,
      async tryAcquire(key, { ttlMs }) {
        if (superseded) return undefined;
        const lease: Lease = {
          key,
          fencingToken: losers.length + 1,
          expiresAt: Date.now() + ttlMs,
          renew: async () => undefined,
          onLost: (listener) => {
            losers.push(listener);
            return () => undefined;
          },
          release: async () => undefined,
        };
        return lease;
      },
    };
    const gw = await gatewayOn(stateDir, stub, { telegram: { botToken: stub.token, apiRoot: stub.apiRoot } }, leases);
    cleanup.push(() => gw.gateway.close());
    await waitForStatus(gw.manager.channel('telegram')!, (s) => s.connected);
    expect(losers.length).toBeGreaterThan(0);

    superseded = true;
    for (const lose of losers) lose('superseded by another holder');
    const refused = await gw.gateway.call('send', { channel: 'telegram', to: '7', message: 'x', idempotencyKey: 'lost-1' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('not running') });
    expect(stub.sent('sendMessage')).toHaveLength(0);
  });
});
