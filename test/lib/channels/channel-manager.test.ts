import { afterEach, describe, expect, it } from 'vitest';
import { ChannelSendError } from '../../../lib/channel.js';
import { waitForStatus } from '../../channels/helpers.js';
import { connectMemory } from '../../../lib/memory-transport.js';
import { call, connectParams, handshake } from '../../helpers/connect.js';
import { RawPeer } from '../../helpers/raw-peer.js';
import { callOk, memoryPeer } from '../../helpers/memory-peer.js';
import { startHarness, type ChannelHarness } from './harness.js';

const ME = '15551234567:3@s.whatsapp.net';

describe('ChannelManager', () => {
  let h: ChannelHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function telegramUp(harness: ChannelHarness) {
    const channel = harness.manager.channel('telegram')!;
    await waitForStatus(channel, (s) => s.connected);
    return channel;
  }

  describe('send (protocol §6.5)', () => {
    it('delivers through the channel and answers with runId, messageId, channel and chatId', async () => {
      h = await startHarness();
      await telegramUp(h);
      const result = await h.gateway.call('send', { channel: 'telegram', to: '77', message: 'hi', idempotencyKey: 'k-basic' });
      expect(result).toEqual({ runId: 'k-basic', channel: 'telegram', messageId: expect.any(String), chatId: '77' });
      expect(h.stub.sent('sendMessage').map((c) => c.body)).toEqual([expect.objectContaining({ chat_id: '77', text: 'hi' })]);
    });

    it('rejects unknown channels and empty messages with INVALID_REQUEST, unconfigured ones clearly', async () => {
      h = await startHarness();
      await expect(h.gateway.call('send', { channel: 'sms', to: '1', message: 'x', idempotencyKey: 'a' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: 'unsupported channel: sms',
      });
      await expect(h.gateway.call('send', { channel: 'telegram', to: '1', message: ' ', idempotencyKey: 'b' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: 'message or media required',
      });
      // The default channel is WhatsApp; never linked here.
      await expect(h.gateway.call('send', { to: '+15550001111', message: 'x', idempotencyKey: 'c' })).rejects.toMatchObject({
        code: 'NOT_LINKED',
        message: expect.stringContaining('openclaw channels login --channel whatsapp'),
      });
      await expect(h.gateway.call('send', { channel: 'telegram', accountId: 'nope', to: '1', message: 'x', idempotencyKey: 'd' })).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: 'unknown telegram account: nope',
      });
      // idempotencyKey is required by the schema.
      const missingKey = h.gateway.call('send', { channel: 'telegram', to: '1', message: 'x' } as never);
      await expect(missingKey).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('idempotencyKey') });
    });

    it('delivers once for concurrent and repeated calls with the same idempotency key', async () => {
      h = await startHarness();
      await telegramUp(h);
      h.stub.fault('sendMessage', { kind: 'delay', ms: 150 });
      const params = { channel: 'telegram', to: '77', message: 'only once', idempotencyKey: 'k-dup' };
      const results = await Promise.all(Array.from({ length: 8 }, () => h!.gateway.call('send', params)));
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(h.stub.sent('sendMessage')).toHaveLength(1);

      const again = await h.gateway.call('send', params);
      expect(again).toEqual(results[0]);
      expect(h.stub.sent('sendMessage')).toHaveLength(1);

      await h.gateway.call('send', { ...params, idempotencyKey: 'k-other' });
      expect(h.stub.sent('sendMessage')).toHaveLength(2);
    });

    it('the same holds over the wire, and errors arrive in the protocol shape', async () => {
      h = await startHarness();
      await telegramUp(h);
      const peer = await memoryPeer(h.gateway);
      try {
        const params = { channel: 'telegram', to: '77', message: 'wire', idempotencyKey: 'k-wire' };
        const [a, b] = await Promise.all([call(peer, 'send', params), call(peer, 'send', params)]);
        expect(a).toMatchObject({ ok: true, payload: { runId: 'k-wire', channel: 'telegram' } });
        expect(b.payload).toEqual(a.payload);
        expect(h.stub.sent('sendMessage')).toHaveLength(1);
        const err = await call(peer, 'send', { channel: 'fax', to: '1', message: 'x', idempotencyKey: 'k-fax' });
        expect(err).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST', message: 'unsupported channel: fax' } });
        const noKey = await call(peer, 'send', { channel: 'telegram', to: '1', message: 'x' });
        expect(noKey.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('invalid send params') });
      } finally {
        peer.close();
      }
    });

    it('takes local media paths only from clients on the gateway host', async () => {
      h = await startHarness();
      await telegramUp(h);
      const socket = connectMemory(h.gateway, { local: false, remoteAddress: '10.0.0.5' });
      const remote = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
      socket.onmessage = (t) => remote.receive(t);
      socket.onclose = (c, r) => remote.markClosed(c, r);
      expect((await handshake(remote, () => connectParams())).ok).toBe(true);
      try {
        const leak = await call(remote, 'send', { channel: 'telegram', to: '77', message: '', mediaUrl: '/etc/passwd', idempotencyKey: 'm1' });
        expect(leak.error).toEqual({ code: 'INVALID_REQUEST', message: 'local media paths are only accepted from clients on the gateway host; send an http(s) URL' });
        const url = await call(remote, 'send', { channel: 'telegram', to: '77', message: '', mediaUrl: 'https://example.com/a.jpg', idempotencyKey: 'm2' });
        expect(url.ok).toBe(true);
        expect(h.stub.sent('sendPhoto')).toHaveLength(1);
        expect(h.stub.sent('sendDocument')).toHaveLength(0);
      } finally {
        remote.close();
      }
    });

    it('fails fast while the channel is down and sends exactly once when it is back', async () => {
      h = await startHarness();
      const channel = await telegramUp(h);
      const port = h.stub.port;
      await h.stub.close();
      await waitForStatus(channel, (s) => !s.connected);
      const params = { channel: 'telegram', to: '77', message: 'are you there', idempotencyKey: 'k-down' };
      const err = await h.gateway.call('send', params).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/^telegram is not connected: network error/) });

      await h.stub.start(port);
      await waitForStatus(channel, (s) => s.connected);
      expect(h.stub.sent('sendMessage')).toHaveLength(0);
      // Nothing went out while down, so the same key may be retried; it delivers once.
      const result = await h.gateway.call('send', params);
      await h.gateway.call('send', params);
      expect(result.runId).toBe('k-down');
      expect(h.stub.sent('sendMessage')).toHaveLength(1);
    });

    it('never retries a send whose outcome is unknown under the same key', async () => {
      h = await startHarness();
      await telegramUp(h);
      h.stub.fault('sendMessage', { kind: 'drop' });
      const params = { channel: 'telegram', to: '77', message: 'maybe', idempotencyKey: 'k-maybe' };
      const first = await h.gateway.call('send', params).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(ChannelSendError);
      expect(first).toMatchObject({ code: 'UNAVAILABLE', deliveryUnknown: true, message: expect.stringContaining('telegram delivery failed: sendMessage') });
      // The recorded outcome is replayed (from the outbox, so also after a restart).
      const second = await h.gateway.call('send', params).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(ChannelSendError);
      expect(second).toMatchObject({ code: 'UNAVAILABLE', deliveryUnknown: true, message: (first as Error).message });
      expect(h.stub.sent('sendMessage')).toHaveLength(1);
    });

    it('reports upstream refusals as UNAVAILABLE with the channel reason', async () => {
      h = await startHarness();
      await telegramUp(h);
      h.stub.fault('sendMessage', { kind: 'error', code: 400, description: 'Bad Request: chat not found' });
      await expect(h.gateway.call('send', { channel: 'telegram', to: '404', message: 'x', idempotencyKey: 'k-400' })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: 'telegram delivery failed: sendMessage: 400 Bad Request: chat not found',
        details: { channel: 'telegram', method: 'sendMessage', upstreamCode: 400 },
      });
    });
  });

  describe('status, health and reload', () => {
    it('reports channels per account in channels.status, health and status', async () => {
      h = await startHarness({ channels: (stub) => ({ telegram: { botToken: stub.token, apiRoot: stub.apiRoot, name: 'Claw bot' } }) });
      await telegramUp(h);
      const status = await h.gateway.call('channels.status', {});
      expect(status).toMatchObject({
        channelOrder: ['telegram'],
        channelLabels: { telegram: 'Telegram' },
        channels: { telegram: { configured: true, enabled: true, running: true, connected: true, lastError: null } },
        channelDefaultAccountId: { telegram: 'default' },
      });
      expect(status.channelAccounts.telegram![0]).toMatchObject({
        accountId: 'default',
        name: 'Claw bot',
        mode: 'polling',
        botUsername: 'claw_bot',
        dmPolicy: 'pairing',
        tokenSource: 'config',
      });
      expect(JSON.stringify(status)).not.toContain(h.stub.token);

      const health = await h.gateway.call('health', { probe: true });
      expect(health.channelOrder).toEqual(['telegram']);
      expect(health.channels.telegram).toMatchObject({ accountId: 'default', configured: true, connected: true, accounts: { default: expect.any(Object) } });
      const summary = await h.gateway.call('status', {});
      expect(summary.channelSummary).toEqual(['Telegram: connected']);
      expect(summary.linkChannel).toBeUndefined();

      await h.stub.close();
      const down = await h.gateway.call('status', {}).then(async () => {
        await waitForStatus(h!.manager.channel('telegram')!, (s) => !s.connected);
        return h!.gateway.call('status', {});
      });
      expect(down.channelSummary[0]).toMatch(/^Telegram: not connected \(network error/);
    });

    it('hot-reloads one channel: policy changes in place, connection changes restart, removal stops it', async () => {
      h = await startHarness();
      const first = await telegramUp(h);
      await h.manager.reload('telegram', { botToken: h.stub.token, apiRoot: h.stub.apiRoot, dmPolicy: 'allowlist', allowFrom: ['@ada'] });
      expect(h.manager.channel('telegram')).toBe(first);
      expect(h.manager.status().channelAccounts.telegram![0]).toMatchObject({ dmPolicy: 'allowlist', allowFrom: ['ada'] });

      await h.manager.reload('telegram', { botToken: h.stub.token, apiRoot: h.stub.apiRoot, accounts: { work: { name: 'Work' } } });
      expect(h.manager.channel('telegram')).not.toBe(first);
      expect(first.status().running).toBe(false);
      expect(h.manager.status().channelAccounts.telegram!.map((a) => a.accountId)).toEqual(['work']);
      await telegramUp(h);

      await h.manager.reload('telegram', undefined);
      expect(h.manager.status().channelOrder).toEqual([]);
      await expect(h.manager.reload('sms', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });
  });

  describe('WhatsApp login over RPC', () => {
    it('web.login.start/wait link a fresh gateway; status shows linkChannel; channels.logout unlinks', async () => {
      h = await startHarness({ channels: () => ({}) });
      expect(h.manager.status().channelOrder).toEqual([]);
      const started = await h.gateway.call('web.login.start', {});
      expect(started).toMatchObject({ qr: 'QR-1', qrDataUrl: expect.stringMatching(/^data:image\/svg\+xml;base64,/) });
      let status = await h.gateway.call('status', {});
      expect(status.linkChannel).toEqual({ id: 'whatsapp', label: 'WhatsApp', linked: false, authAgeMs: null });
      expect(status.channelSummary).toEqual(['WhatsApp: not linked']);

      const waiting = h.gateway.call('web.login.wait', { timeoutMs: 5000 });
      (await h.wa.socket(0)).scan(ME);
      expect(await waiting).toMatchObject({ connected: true });
      status = await h.gateway.call('status', {});
      expect(status.linkChannel).toMatchObject({ id: 'whatsapp', linked: true, authAgeMs: expect.any(Number) });
      expect(status.channelSummary).toEqual(['WhatsApp: connected']);

      const sent = await h.gateway.call('send', { to: '+1 555 000 2222', message: 'linked!', idempotencyKey: 'wa-1' });
      expect(sent).toEqual({ runId: 'wa-1', channel: 'whatsapp', messageId: 'OUT1', toJid: '15550002222@s.whatsapp.net' });

      const out = await h.gateway.call('channels.logout', { channel: 'whatsapp' });
      expect(out).toEqual({ channel: 'whatsapp', accountId: 'default', cleared: true, loggedOut: true });
      await expect(h.gateway.call('send', { to: '+15550002222', message: 'x', idempotencyKey: 'wa-2' })).rejects.toMatchObject({ code: 'NOT_LINKED' });
      expect((await h.gateway.call('status', {})).linkChannel).toMatchObject({ linked: false });
      await expect(h.gateway.call('channels.logout', { channel: 'telegram' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });

    it('web.login.* need admin scope; send needs write', async () => {
      h = await startHarness();
      const reader = await memoryPeer(h.gateway, ['operator.read']);
      try {
        expect((await call(reader, 'web.login.start', {})).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'missing scope: operator.admin' });
        expect((await call(reader, 'channels.logout', { channel: 'whatsapp' })).error).toMatchObject({ message: 'missing scope: operator.admin' });
        expect((await call(reader, 'send', { to: '1', message: 'x', idempotencyKey: 'r' })).error).toMatchObject({ message: 'missing scope: operator.write' });
        expect((await callOk(reader, 'channels.status', {})).channelOrder).toEqual(['telegram']);
      } finally {
        reader.close();
      }
    });
  });
});
