import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WhatsAppChannel, type WhatsAppChannelOptions } from '../../channels/whatsapp.js';
import { ChannelSendError } from '../../lib/channel.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { fakeWaNetwork, type FakeWaNetwork } from './fake-wa-socket.js';
import { inbox, recordingLogger, waitForStatus, type RecordingLogger } from './helpers.js';

const ME = '15551234567:7@s.whatsapp.net';
const PEER = '4915112345678@s.whatsapp.net';

describe('WhatsAppChannel (real adapter, injected Baileys socket)', () => {
  let dir: string;
  let net: FakeWaNetwork;
  let logger: RecordingLogger;
  const channels: WhatsAppChannel[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-wa-'));
    net = fakeWaNetwork();
    logger = recordingLogger();
  });

  afterEach(async () => {
    await Promise.all(channels.splice(0).map((c) => c.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  async function startChannel(extra: Partial<WhatsAppChannelOptions> = {}): Promise<WhatsAppChannel> {
    const channel = new WhatsAppChannel({
      authDir: join(dir, 'credentials/whatsapp/default'),
      socketFactory: net.factory,
      logger,
      backoff: { initialMs: 10, maxMs: 40, jitter: 0 },
      ...extra,
    });
    channels.push(channel);
    await channel.start(new AbortController().signal);
    return channel;
  }

  /** QR login through the channel's login API, with the phone "scanning" socket #index. */
  async function link(channel: WhatsAppChannel, index = 0) {
    const started = await channel.login.start({});
    const waiting = channel.login.wait({ timeoutMs: 5000 });
    (await net.socket(index)).scan(ME);
    return { started, waited: await waiting };
  }

  it('links by QR: start shows the QR, wait resolves once the phone scanned and the socket reopened', async () => {
    const channel = await startChannel();
    expect(channel.status()).toMatchObject({ linked: false, configured: false, connected: false, running: true });
    expect(net.sockets).toHaveLength(0);

    const { started, waited } = await link(channel);
    expect(started).toMatchObject({ qr: 'QR-1', message: expect.stringContaining('Linked devices') });
    expect(started.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(started.qrDataUrl!.split(',')[1]!, 'base64').toString()).toContain('<svg');
    expect(waited).toEqual({ connected: true, message: expect.stringMatching(/^Linked!/) });

    // Restart required after the scan: a second socket came up with the saved credentials.
    expect(net.sockets).toHaveLength(2);
    expect(channel.status()).toMatchObject({ linked: true, connected: true, self: { e164: '+15551234567' } });
    // Credentials are written in the background, after the socket reports the link.
    const creds = await vi.waitFor(async () => JSON.parse(await readFile(join(dir, 'credentials/whatsapp/default/creds.json'), 'utf8')));
    expect(creds.me.id).toBe(ME);
    expect(await channel.login.start({})).toMatchObject({ linked: true, message: expect.stringContaining('already linked') });
  });

  it('reconnects from the stored credentials after a restart', async () => {
    const first = await startChannel();
    await link(first);
    await first.stop();

    const second = await startChannel();
    await waitForStatus(second, (s) => s.connected);
    expect(net.sockets).toHaveLength(3);
    expect(net.sockets[2]!.config.auth.creds.me?.id).toBe(ME);
  });

  it('normalises inbound messages and sends replies (quoted, chunked, media)', async () => {
    const channel = await startChannel();
    await link(channel);
    const sock = net.sockets[1]!;
    const box = inbox(channel);
    sock.receive({ key: { remoteJid: PEER, fromMe: false, id: 'IN1' }, pushName: 'Ada', message: { conversation: 'hi claw' } });
    sock.receive({ key: { remoteJid: PEER, fromMe: true, id: 'MINE' }, message: { conversation: 'my own echo' } });
    sock.receive({ key: { remoteJid: PEER, fromMe: false, id: 'OLD' }, message: { conversation: 'history' } }, 'append');
    const msg = await box.next();
    expect(msg).toMatchObject({
      channel: 'whatsapp',
      chatId: PEER,
      chatType: 'direct',
      senderId: PEER,
      senderAliases: ['+4915112345678'],
      senderName: 'Ada',
      messageId: 'IN1',
      text: 'hi claw',
      mentioned: false,
    });
    expect(box.messages).toHaveLength(1);

    const result = await channel.send({ to: '+49 151 12345678', text: `${'x'.repeat(3990)} ${'y'.repeat(100)}`, replyTo: 'IN1' });
    expect(result).toEqual({ messageId: 'OUT1', toJid: PEER });
    expect(sock.sent.map((s) => (s.content as { text: string }).text.length)).toEqual([3990, 100]);
    expect(sock.sent[0]!.options?.quoted?.key.id).toBe('IN1');
    expect(sock.sent[1]!.options).toBeUndefined();

    await channel.send({ to: PEER, text: 'a cat', mediaUrls: ['https://example.com/cat.png'] });
    expect(sock.sent[2]!.content).toEqual({ image: { url: 'https://example.com/cat.png' }, caption: 'a cat' });
    expect(channel.status().lastMessageAt).toEqual(expect.any(Number));
  });

  it('keeps the phone number as the sender when Baileys 7 addresses the chat by LID', async () => {
    const channel = await startChannel();
    await link(channel);
    const sock = net.sockets[1]!;
    const box = inbox(channel);
    const lid = '208392384934212@lid';
    sock.receive({ key: { remoteJid: lid, remoteJidAlt: PEER, fromMe: false, id: 'L1' }, message: { conversation: 'hello from a LID chat' } });
    sock.receive({
      key: { remoteJid: '120363000000000000@g.us', participant: lid, participantAlt: PEER, fromMe: false, id: 'L2' },
      message: { conversation: 'and from a group' },
    });
    sock.receive({ key: { remoteJid: lid, fromMe: false, id: 'L3' }, message: { conversation: 'no phone number known' } });
    const [direct, group, bare] = [await box.next(), await box.next(), await box.next()];
    expect(direct).toMatchObject({ chatId: lid, chatType: 'direct', senderId: PEER, senderAliases: ['+4915112345678', lid] });
    expect(group).toMatchObject({ chatType: 'group', senderId: PEER, senderAliases: ['+4915112345678', lid] });
    expect(bare).toMatchObject({ chatId: lid, senderId: lid });
    expect(bare.senderAliases).toBeUndefined();
  });

  it('marks group messages that mention the linked number', async () => {
    const channel = await startChannel();
    await link(channel);
    const sock = net.sockets[1]!;
    const box = inbox(channel);
    const group = '120363000000000000@g.us';
    sock.receive({ key: { remoteJid: group, participant: PEER, fromMe: false, id: 'G1' }, message: { conversation: 'lunch?' } });
    sock.receive({
      key: { remoteJid: group, participant: PEER, fromMe: false, id: 'G2' },
      message: { extendedTextMessage: { text: '@15551234567 summarise please', contextInfo: { mentionedJid: ['15551234567@s.whatsapp.net'] } } },
    });
    const [plain, mention] = [await box.next(), await box.next()];
    expect(plain).toMatchObject({ chatType: 'group', chatId: group, senderId: PEER, mentioned: false });
    expect(mention).toMatchObject({ mentioned: true, text: 'summarise please' });
  });

  it('fails fast while the connection is down and reconnects with backoff', async () => {
    const channel = await startChannel();
    await link(channel);
    net.sockets[1]!.drop(428);
    const down = channel.status();
    expect(down).toMatchObject({ connected: false, linked: true, lastError: expect.stringContaining('connection lost') });
    const err = await channel.send({ to: PEER, text: 'now?' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelSendError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', deliveryUnknown: false, retryable: true, message: expect.stringMatching(/^whatsapp is not connected/) });
    expect((err as ChannelSendError).retryAfterMs).toBeGreaterThan(0);
    expect(net.sockets[1]!.sent).toHaveLength(0);

    const back = await net.socket(2);
    await waitForStatus(channel, (s) => s.connected);
    await channel.send({ to: PEER, text: 'now' });
    expect(back.sent).toHaveLength(1);
    expect(net.sockets[1]!.sent).toHaveLength(0);
  });

  it('treats a logout from the phone as NOT_LINKED: credentials removed, no reconnect', async () => {
    const channel = await startChannel();
    await link(channel);
    net.sockets[1]!.drop(401, 'Connection Failure');
    const status = await waitForStatus(channel, (s) => !s.linked);
    expect(status.lastError).toMatch(/logged out/);
    expect(existsSync(join(dir, 'credentials/whatsapp/default/creds.json'))).toBe(false);
    await expect(channel.send({ to: PEER, text: 'hello?' })).rejects.toMatchObject({ code: 'NOT_LINKED' });
    await new Promise((r) => setTimeout(r, 100));
    expect(net.sockets).toHaveLength(2);
  });

  it('logout ends the session upstream and clears the credentials', async () => {
    const channel = await startChannel();
    await link(channel);
    const result = await channel.logout();
    expect(result).toEqual({ cleared: true, loggedOut: true });
    expect(net.sockets[1]!.loggedOut).toBe(true);
    expect(channel.status()).toMatchObject({ linked: false, connected: false });
    await expect(channel.send({ to: PEER, text: 'x' })).rejects.toMatchObject({ code: 'NOT_LINKED' });
  });

  it('reports an expired QR instead of waiting forever', async () => {
    const channel = await startChannel();
    const started = await channel.login.start({});
    expect(started.qr).toBe('QR-1');
    net.sockets[0]!.drop(408, 'QR refs attempts ended');
    expect(await channel.login.wait({ timeoutMs: 5000 })).toEqual({ connected: false, message: expect.stringContaining('expired') });
    expect(channel.status().linked).toBe(false);
  });

  it('says no QR code arrived, not that it expired, when the login socket closes before the first QR', async () => {
    net = fakeWaNetwork({ auto: false });
    const channel = await startChannel();
    const starting = channel.login.start({}).catch((err: unknown) => err);
    const sock = await net.socket(0);
    const waiting = channel.login.wait({ timeoutMs: 5000 });
    // Baileys uses 408 for a connection that timed out before any QR, as for QRs that ran out.
    sock.drop(408, 'Connection was lost');

    const noQr = 'WhatsApp sent no QR code (Connection was lost (408)); try again';
    expect(await waiting).toEqual({ connected: false, message: noQr });
    expect(await starting).toMatchObject({ code: 'UNAVAILABLE', message: `WhatsApp login failed: ${noQr}` });
    // A wait after the flow ended reports the same outcome.
    expect(await channel.login.wait({ timeoutMs: 5000 })).toEqual({ connected: false, message: noQr });
    expect(channel.status().lastError).toBe(noQr);
  });

  it('keeps phone numbers out of its logs', async () => {
    const channel = await startChannel();
    await link(channel);
    net.sockets[1]!.drop(428, `Connection to ${PEER} closed`);
    await net.socket(2);
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.join('\n')).not.toMatch(/4915112345678|15551234567/);
  });

  describe('channel truth (watchdog, acks, flapping) on an injected clock', () => {
    async function linkedOnClock(extra: Partial<WhatsAppChannelOptions> = {}) {
      const clock = new ManualClock();
      const channel = await startChannel({ clock, watchdog: { silenceMs: 60_000, probeTimeoutMs: 10_000 }, ...extra });
      await link(channel);
      await waitForStatus(channel, (s) => s.connected);
      return { clock, channel, sock: net.sockets[1]! };
    }

    it('pings a socket that went silent and reconnects when the ping gets no answer', async () => {
      const { clock, channel, sock } = await linkedOnClock();
      sock.silent = true;
      await clock.advance(59_000);
      expect(sock.queries).toHaveLength(0);
      await clock.advance(1000);
      expect(sock.queries).toHaveLength(1);
      expect(sock.queries[0]).toMatchObject({ tag: 'iq', attrs: { xmlns: 'w:p', type: 'get' }, content: [{ tag: 'ping' }] });
      expect(channel.status()).toMatchObject({ connected: true, lastProbeAt: clock.now() });

      await clock.advance(10_000);
      expect(sock.ended).toBe(true);
      expect(channel.status()).toMatchObject({ connected: false, lastError: expect.stringMatching(/no sign of life: silent for 60 s and the probe failed/) });
      const err = await channel.send({ to: PEER, text: 'into the void?' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true, retryAfterMs: expect.any(Number), deliveryUnknown: false });
      expect(sock.sent).toHaveLength(0);

      await clock.advance(10);
      const fresh = await net.socket(2);
      await waitForStatus(channel, (s) => s.connected);
      await channel.send({ to: PEER, text: 'back' });
      expect(fresh.sent).toHaveLength(1);
    });

    it('leaves a socket alone while frames arrive, and keeps one whose ping is answered', async () => {
      const { clock, sock } = await linkedOnClock();
      for (let i = 0; i < 5; i++) {
        await clock.advance(30_000);
        sock.ws.emit('frame', { tag: 'ib', attrs: {} });
      }
      expect(sock.queries).toHaveLength(0);
      await clock.advance(60_000);
      expect(sock.queries).toHaveLength(1);
      await clock.advance(60_000);
      expect(sock.queries).toHaveLength(2);
      expect(sock.ended).toBe(false);
      expect(net.sockets).toHaveLength(2);
    });

    it('records server acks of sent messages as lastAckAt', async () => {
      const { clock, channel, sock } = await linkedOnClock();
      const sent = await channel.send({ to: PEER, text: 'ack me' });
      expect(channel.status().lastAckAt).toBeNull();
      await clock.advance(5000);
      sock.ack(sent.messageId, 3);
      expect(channel.status()).toMatchObject({ lastAckAt: clock.now(), lastOutboundAt: expect.any(Number) });
    });

    it('redials a flapping link ever more slowly, capped, and never gives up', async () => {
      const { clock, channel } = await linkedOnClock({ backoff: { initialMs: 1000, maxMs: 8000, jitter: 0 } });
      const delays: number[] = [];
      for (let i = 1; i <= 7; i++) {
        // Opens, then drops at once: the link flaps.
        net.sockets[i]!.drop(428);
        const delay = Number(/reconnecting in (\d+) ms/.exec(channel.status().lastError ?? '')?.[1]);
        delays.push(delay);
        await clock.advance(delay);
        await net.socket(i + 1);
        await waitForStatus(channel, (s) => s.connected);
      }
      expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000, 8000]);
      // A connection that stayed up for a while starts the backoff over.
      await clock.advance(120_000);
      net.sockets[8]!.drop(428);
      expect(channel.status().lastError).toMatch(/reconnecting in 1000 ms/);
    });
  });
});
