import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelegramChannel, type TelegramChannelOptions } from '../../channels/telegram.js';
import { ChannelSendError } from '../../lib/channel.js';
import { GatewayError } from '../../lib/errors.js';
import { BotApiStub } from './bot-api-stub.js';
import { asyncHandler } from '../helpers/async-handler.js';
import { inbox, recordingLogger, waitForStatus, type RecordingLogger } from './helpers.js';

const FAST_BACKOFF = { initialMs: 20, maxMs: 80, jitter: 0 };

describe('TelegramChannel (grammY against a Bot API stand-in)', () => {
  let stub: BotApiStub;
  let logger: RecordingLogger;
  let channel: TelegramChannel | undefined;
  let tmp: string | undefined;
  let webServer: Server | undefined;

  beforeEach(async () => {
    stub = await new BotApiStub().start();
    logger = recordingLogger();
  });

  afterEach(async () => {
    await channel?.stop();
    channel = undefined;
    await stub.close();
    if (webServer) await new Promise((r) => webServer!.close(r));
    webServer = undefined;
    if (tmp) await rm(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  async function started(extra: Partial<TelegramChannelOptions> = {}): Promise<TelegramChannel> {
    channel = new TelegramChannel({ token: stub.token, apiRoot: stub.apiRoot, logger, backoff: FAST_BACKOFF, ...extra });
    await channel.start(new AbortController().signal);
    await waitForStatus(channel, (s) => s.connected);
    return channel;
  }

  it('long-polls getUpdates and emits direct messages in the normalised shape', async () => {
    const ch = await started();
    const box = inbox(ch);
    stub.pushMessage({ text: 'hello there', fromId: 77, username: 'ada', firstName: 'Ada' });
    const msg = await box.next();
    expect(msg).toMatchObject({
      channel: 'telegram',
      accountId: 'default',
      chatId: '77',
      chatType: 'direct',
      senderId: '77',
      senderAliases: ['@ada'],
      senderName: 'Ada',
      text: 'hello there',
      mentioned: false,
    });
    expect(stub.sent('getMe')).toHaveLength(1);
    expect(stub.sent('deleteWebhook')).toHaveLength(1);
    expect(ch.status()).toMatchObject({ connected: true, running: true, mode: 'polling', botUsername: 'claw_bot', lastError: null });
  });

  it('tells mentions and replies to the bot apart from other group chatter', async () => {
    const ch = await started();
    const box = inbox(ch);
    stub.pushMessage({ text: 'just chatting', chatType: 'supergroup', chatId: -100500 });
    stub.pushMessage({
      text: '@claw_bot what time is it?',
      chatType: 'supergroup',
      chatId: -100500,
      entities: [{ type: 'mention', offset: 0, length: 9 }],
    });
    stub.pushMessage({ text: 'and you?', chatType: 'supergroup', chatId: -100500, replyToBot: true });
    stub.pushMessage({ text: '@someone_else hi', chatType: 'supergroup', chatId: -100500, entities: [{ type: 'mention', offset: 0, length: 13 }] });
    const [plain, mention, reply, other] = [await box.next(), await box.next(), await box.next(), await box.next()];
    expect(plain).toMatchObject({ chatType: 'group', chatId: '-100500', mentioned: false });
    expect(mention).toMatchObject({ mentioned: true, text: 'what time is it?' });
    expect(reply.mentioned).toBe(true);
    expect(other.mentioned).toBe(false);
  });

  it('sends replies quoting the answered message and splits text at 4096 characters', async () => {
    const ch = await started();
    const long = `${'a'.repeat(4000)}\n\n${'b'.repeat(3000)}`;
    const result = await ch.send({ to: '77', text: long, replyTo: '55' });
    const sends = stub.sent('sendMessage');
    expect(sends.map((c) => c.body.text.length)).toEqual([4000, 3000]);
    expect(sends[0]!.body).toMatchObject({ chat_id: '77', reply_parameters: { message_id: 55 } });
    expect(sends[1]!.body.reply_parameters).toBeUndefined();
    expect(result).toEqual({ messageId: expect.any(String), chatId: '77' });
    expect(ch.status().lastOutboundAt).toEqual(expect.any(Number));
  });

  it('sends media by URL with the text as caption, and uploads local files', async () => {
    const ch = await started();
    await ch.send({ to: '77', text: 'look', mediaUrls: ['https://example.com/cat.jpg'] });
    expect(stub.sent('sendPhoto')[0]!.body).toMatchObject({ chat_id: '77', photo: 'https://example.com/cat.jpg', caption: 'look' });

    tmp = await mkdtemp(join(tmpdir(), 'openclaw-tg-'));
    const file = join(tmp, 'report.pdf');
    await writeFile(file, 'PDF-BYTES');
    await ch.send({ to: '77', text: '', mediaUrls: [file] });
    const upload = stub.sent('sendDocument')[0]!;
    expect(upload.raw).toContain('PDF-BYTES');
    expect(upload.raw).toContain('report.pdf');

    const missing = ch.send({ to: '77', text: '', mediaUrls: [join(tmp, 'nope.png')] });
    await expect(missing).rejects.toMatchObject({ code: 'UNAVAILABLE', deliveryUnknown: false, message: expect.stringContaining('not found') });
  });

  it('recovers from a 409 conflict (another poller) once it goes away', async () => {
    const ch = await started({ conflictBackoff: FAST_BACKOFF });
    stub.fault('getUpdates', { kind: 'error', code: 409, description: 'Conflict: terminated by other getUpdates request' }, 2);
    stub.pushMessage({ text: 'wake the poller' });
    const box = inbox(ch);
    await waitForStatus(ch, (s) => !s.connected && /409/.test(s.lastError ?? ''));
    const back = await waitForStatus(ch, (s) => s.connected);
    expect(back.lastError).toBeNull();
    stub.pushMessage({ text: 'after the conflict' });
    expect((await box.next()).text).toMatch(/wake the poller|after the conflict/);
  });

  it('backs off, capped, while another process polls with the same token: no restart storm', async () => {
    // Two pollers on one token: each getUpdates ends the other's waiting one with a 409.
    const conflictBackoff = { initialMs: 100, maxMs: 400, jitter: 0 };
    const ch = await started({ conflictBackoff });
    const other = new TelegramChannel({ token: stub.token, apiRoot: stub.apiRoot, backoff: FAST_BACKOFF, conflictBackoff });
    await other.start(new AbortController().signal);
    try {
      const conflict = await waitForStatus(ch, (s) => /409/.test(s.lastError ?? ''));
      expect(conflict).toMatchObject({ connected: false, lastError: expect.stringMatching(/another process is polling with this bot token/) });
      const before = stub.sent('getUpdates').length;
      await new Promise((r) => setTimeout(r, 3000));
      // Capped at 400 ms, the two take turns about every 800 ms: a handful of polls, not hundreds.
      expect(stub.sent('getUpdates').length - before).toBeLessThanOrEqual(14);
    } finally {
      await other.stop();
    }
    // The other poller went away: this one's next poll goes through, and so does the message.
    const box = inbox(ch);
    stub.pushMessage({ text: 'alone again' });
    expect((await box.next()).text).toBe('alone again');
    expect(ch.status()).toMatchObject({ connected: true, lastError: null });
  });

  it('probes a silent connection with getMe and reconnects when the probe gets no answer', async () => {
    const ch = await started({ watchdog: { silenceMs: 300, probeTimeoutMs: 200 } });
    const setups = stub.sent('deleteWebhook').length;
    // The long poll stays open and quiet; the network "dies": getMe hangs.
    stub.fault('getMe', { kind: 'delay', ms: 3000 });
    const dead = await waitForStatus(ch, (s) => !s.connected, 3000);
    expect(dead.lastError).toMatch(/no sign of life from the Bot API: silent for \d+ s and the probe failed \(no answer within 200 ms\)/);
    expect(dead.lastProbeAt).toEqual(expect.any(Number));
    await waitForStatus(ch, (s) => s.connected, 3000);
    expect(stub.sent('deleteWebhook').length).toBeGreaterThan(setups);
  });

  it('honours retry_after on a 429 before polling again', async () => {
    const ch = await started();
    const polls = stub.sent('getUpdates').length;
    stub.fault('getUpdates', { kind: 'error', code: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 });
    stub.pushMessage({ text: 'trigger' });
    await waitForStatus(ch, (s) => /429/.test(s.lastError ?? ''));
    const box = inbox(ch);
    expect((await box.next(5000)).text).toBe('trigger');
    expect(stub.sent('getUpdates').length).toBeGreaterThan(polls + 1);
    expect(ch.status().lastError).toBeNull();
  });

  it('reconnects with backoff after dropped connections', async () => {
    const ch = await started();
    stub.fault('getUpdates', { kind: 'drop' }, 3);
    stub.pushMessage({ text: 'first' });
    await waitForStatus(ch, (s) => !s.connected && /network/.test(s.lastError ?? ''));
    const back = await waitForStatus(ch, (s) => s.connected);
    expect(back.reconnectAttempts).toBe(0);
    const box = inbox(ch);
    stub.pushMessage({ text: 'second' });
    const texts = [(await box.next()).text];
    if (texts[0] === 'first') texts.push((await box.next()).text);
    expect(texts).toContain('second');
  });

  it('notices a long poll that hangs past the request timeout (silent network loss) and reconnects', async () => {
    const ch = await started({ pollTimeoutSeconds: 1, requestTimeoutSeconds: 2 });
    stub.fault('getUpdates', { kind: 'delay', ms: 3500 });
    const lost = await waitForStatus(ch, (s) => /timed out after 2 seconds/.test(s.lastError ?? ''), 8000);
    expect(lost.connected).toBe(false);
    await waitForStatus(ch, (s) => s.connected);
  });

  it('fails fast while the Bot API is unreachable and sends once when it is back', async () => {
    const ch = await started();
    const port = stub.port;
    await stub.close();
    await waitForStatus(ch, (s) => !s.connected);
    const failure = await ch.send({ to: '77', text: 'while down' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ChannelSendError);
    expect(failure).toMatchObject({ code: 'UNAVAILABLE', deliveryUnknown: false, retryable: true, message: expect.stringMatching(/^telegram is not connected/) });
    expect((failure as ChannelSendError).retryAfterMs).toBeGreaterThan(0);

    await stub.start(port);
    await waitForStatus(ch, (s) => s.connected);
    await ch.send({ to: '77', text: 'after' });
    expect(stub.sent('sendMessage').map((c) => c.body.text)).toEqual(['after']);
  });

  it('stops on a rejected token and never shows the token in logs, status or errors', async () => {
    const badToken = '999999:SECRET-never-print-me';
    channel = new TelegramChannel({ token: badToken, apiRoot: stub.apiRoot, logger, backoff: FAST_BACKOFF });
    await channel.start(new AbortController().signal);
    const stopped = await waitForStatus(channel, (s) => !s.running);
    expect(stopped.lastError).toMatch(/rejected the bot token \(401/);
    const sendError = await channel.send({ to: '1', text: 'x' }).catch((e: unknown) => e);
    expect(sendError).toBeInstanceOf(GatewayError);

    // Unreachable API: the underlying fetch error names the URL, which contains the token.
    const ch2 = new TelegramChannel({ token: badToken, apiRoot: 'http://127.0.0.1:9', logger, backoff: FAST_BACKOFF });
    await ch2.start(new AbortController().signal);
    const down = await waitForStatus(ch2, (s) => /network/.test(s.lastError ?? ''));
    await ch2.stop();

    const everything = [...logger.lines, JSON.stringify(stopped), JSON.stringify(down), String(sendError), JSON.stringify(sendError)].join('\n');
    expect(everything).not.toContain(badToken);
    expect(everything).not.toContain('SECRET-never');
  });

  it('retries a send once after a short 429 and reports longer ones with retryAfterMs', async () => {
    const ch = await started();
    stub.fault('sendMessage', { kind: 'error', code: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1 });
    await ch.send({ to: '77', text: 'patient' });
    expect(stub.sent('sendMessage')).toHaveLength(2);

    stub.fault('sendMessage', { kind: 'error', code: 429, description: 'Too Many Requests: retry after 60', retryAfter: 60 });
    const err = await ch.send({ to: '77', text: 'impatient' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 60_000, deliveryUnknown: false });
    expect((err as Error).message).toMatch(/429/);
  });

  /** A webhook-mode account behind a local HTTP server; `post` sends a raw body with a secret. */
  async function webhookChannel() {
    const ch = new TelegramChannel({
      token: stub.token,
      apiRoot: stub.apiRoot,
      logger,
      backoff: FAST_BACKOFF,
      webhook: { url: 'https://bot.example.com/tg/hook', secret: 'hook-secret-123' },
    });
    channel = ch;
    webServer = createServer(
      asyncHandler('webhook host', async (req, res) => {
        if (!(await ch.handleWebhook(req, res))) {
          res.writeHead(404);
          res.end();
        }
      }),
    );
    webServer.listen(0, '127.0.0.1');
    await once(webServer, 'listening');
    const port = (webServer.address() as AddressInfo).port;
    await ch.start(new AbortController().signal);
    await waitForStatus(ch, (s) => s.connected);
    const post = (body: string, secret = 'hook-secret-123', path = '/tg/hook') =>
      new Promise<number>((resolve, reject) => {
        const req = request({ port, path, method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(body);
      });
    return { ch, post };
  }

  const hookUpdate = (updateId: number, text: string) =>
    JSON.stringify({ update_id: updateId, message: { message_id: 3, date: 1, chat: { id: 5, type: 'private' }, from: { id: 5, is_bot: false, first_name: 'Bo' }, text } });

  it('serves webhook mode on an HTTP route guarded by the secret', async () => {
    const { ch, post } = await webhookChannel();
    expect(stub.webhookUrl).toBe('https://bot.example.com/tg/hook');
    expect(stub.sent('setWebhook')[0]!.body).toMatchObject({ secret_token: 'hook-secret-123', allowed_updates: ['message'] });
    expect(stub.sent('getUpdates')).toHaveLength(0);

    const box = inbox(ch);
    // An oversize update is refused with a 413 the sender can read, not a reset connection.
    expect(await post('x'.repeat(1024 * 1024 + 10))).toBe(413);
    expect(await post(hookUpdate(9, 'via hook'), 'wrong')).toBe(401);
    expect(await post(hookUpdate(9, 'via hook'), 'hook-secret-123', '/other')).toBe(404);
    expect(await post(hookUpdate(9, 'via hook'))).toBe(200);
    expect(await box.next()).toMatchObject({ text: 'via hook', senderId: '5' });
    expect(box.messages).toHaveLength(1);
  });

  it('refuses webhook bodies that are JSON but not an update, and keeps serving', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { ch, post } = await webhookChannel();
      const box = inbox(ch);
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const garbage = ['null', '[]', '"x"', '42', '{}', '{"message":{"text":"no id"}}', '{"update_id":"9"}', '{"update_id":1.5}', deep];
      for (const body of garbage) expect({ body: body.slice(0, 40), status: await post(body) }).toEqual({ body: body.slice(0, 40), status: 400 });

      expect(await post(hookUpdate(10, 'still here'))).toBe(200);
      expect(await box.next()).toMatchObject({ text: 'still here' });
      expect(box.messages).toHaveLength(1);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('logs an update whose handling fails without rejecting anything', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { ch, post } = await webhookChannel();
      const box = inbox(ch);
      // An update-shaped body whose message lacks the chat the handler reads.
      expect(await post(JSON.stringify({ update_id: 11, message: { message_id: 1, date: 1, from: { id: 5, is_bot: false, first_name: 'Bo' } } }))).toBe(200);
      expect(await post(hookUpdate(12, 'after the broken one'))).toBe(200);
      expect(await box.next()).toMatchObject({ text: 'after the broken one' });
      expect(logger.lines.some((l) => l.startsWith('error') && l.includes('update 11 failed'))).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
