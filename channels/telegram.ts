/**
 * The Telegram channel: {@link TelegramChannel}, one bot account through grammY (an optional peer
 * dependency: install `grammy` to use it).
 *
 * @module clawgate/channels/telegram
 */
import { access, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bot, BotError, GrammyError, HttpError, InputFile } from 'grammy';
import type { Message, Update, UserFromGetMe } from 'grammy/types';
import { ChannelSendError, type Channel, type ChannelDefinition, type ChannelEvents, type ChannelFactoryContext, type DeliveryResult, type InboundMessage, type OutboundMessage } from '../lib/channel.js';
import { ChannelAccountState } from '../lib/channels/account-state.js';
import { backoffDelay, sleep, type BackoffOptions } from '../lib/channels/backoff.js';
import { ConnectionWatchdog, type WatchdogOptions } from '../lib/channels/connection-watchdog.js';
import { DEFAULT_ACCOUNT_ID } from '../lib/channels/channel-accounts.js';
import { chunkText } from '../lib/channels/chunk-text.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { redactSecrets } from '../lib/console-logger.js';
import { safeEqual } from '../lib/safe-equal.js';
import { GatewayError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import type { ChannelAccountSnapshot } from '../lib/protocol/generated/types.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { readBody } from '../transports/http-body.js';
import { telegramKind } from './channel-kinds.js';

export interface TelegramChannelOptions {
  /** Bot token; without one the account reports `configured: false` and sends fail. */
  token?: string;
  /** Where the token came from, for status output (`config`, `tokenFile`, `env`). */
  tokenSource?: string;
  accountId?: string;
  name?: string;
  /** Bot API root (default https://api.telegram.org); self-hosted Bot API servers and tests. */
  apiRoot?: string;
  /** Webhook mode: Telegram posts updates to `url`; the gateway serves `path` (default: the URL's path). */
  webhook?: { url: string; secret: string; path?: string };
  /** Replies longer than this are split (default and maximum 4096). */
  textChunkLimit?: number;
  /** Which parts of a reply quote the message answered (default `first`). */
  replyToMode?: 'off' | 'first' | 'all';
  /** `getUpdates` long-poll timeout in seconds (default 30). */
  pollTimeoutSeconds?: number;
  /**
   * Longest any Bot API request may take, so a connection that died silently is noticed
   * (default: the poll timeout + 60 s). Raise it for big uploads over slow links.
   */
  requestTimeoutSeconds?: number;
  /** Reconnect backoff after network errors (default 1 s doubling to 30 s). */
  backoff?: BackoffOptions;
  /**
   * Backoff while another process polls with this token (409 Conflict), default 5 s doubling to
   * 2 min. It only starts over after three caps without a conflict, so two pollers fighting over
   * a bot settle at one attempt per cap instead of a restart storm.
   */
  conflictBackoff?: BackoffOptions;
  /** Silence before a probe (polling: poll timeout + 15 s, probed with getMe; webhook: 10 min, getWebhookInfo); a failed probe reconnects. */
  watchdog?: WatchdogOptions;
  /** A 429 on send is retried once when Telegram asks to wait at most this long (default 10 s). */
  maxSendRetryAfterMs?: number;
  /** Largest webhook body accepted (default 1 MiB). */
  maxWebhookBodyBytes?: number;
  logger?: Logger;
  clock?: Clock;
  /** The grammY bot to drive (e.g. with transformers installed); built from token and apiRoot otherwise. */
  bot?: Bot;
}

const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const ALLOWED_UPDATES = ['message'] as const;
const SUBSYSTEM = 'channels/telegram';

type MediaMethod = 'sendPhoto' | 'sendAnimation' | 'sendVideo' | 'sendAudio' | 'sendVoice' | 'sendDocument';

/**
 * A Telegram bot account through grammY: long polling (or a webhook on the gateway's HTTP port),
 * inbound messages normalised for the router, and sends with chunking, media and replies. A 409
 * conflict, a 429 and lost connections are retried with capped backoff; a rejected token stops
 * the account. The token never appears in logs, statuses or errors.
 */
export class TelegramChannel implements Channel {
  readonly id = 'telegram';
  readonly accountId: string;
  readonly #options: TelegramChannelOptions;
  readonly #token?: string;
  readonly #bot?: Bot;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: TypedEmitter<ChannelEvents>;
  readonly #webhookPath?: string;
  #abort?: AbortController;
  #loop?: Promise<void>;
  #me?: UserFromGetMe;
  #offset = 0;
  readonly #state = new ChannelAccountState();
  readonly #watchdog: ConnectionWatchdog;
  /** The Bot API calls of the current connection; the watchdog aborts them. */
  #link?: { abort(): void };
  #conflicts = 0;
  #lastConflictAt: number | null = null;

  constructor(options: TelegramChannelOptions) {
    this.#options = options;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#events = new TypedEmitter<ChannelEvents>((err) => this.#log('error', `listener failed: ${this.#redact(String(err))}`));
    this.#token = options.bot?.token ?? options.token;
    if (options.webhook) {
      if (!options.webhook.secret) throw new TypeError('telegram webhook mode needs a secret (channels.telegram.webhookSecret)');
      this.#webhookPath = options.webhook.path ?? new URL(options.webhook.url).pathname;
    }
    if (this.#token) {
      const timeoutSeconds = options.requestTimeoutSeconds ?? (options.pollTimeoutSeconds ?? 30) + 60;
      this.#bot =
        options.bot ??
        new Bot(this.#token, { client: { timeoutSeconds, ...(options.apiRoot ? { apiRoot: options.apiRoot.replace(/\/+$/, '') } : {}) } });
      this.#bot.on('message', (ctx) => this.#onMessage(ctx.message));
    }
    this.#watchdog = new ConnectionWatchdog({
      ...options.watchdog,
      clock: this.#clock,
      defaultSilenceMs: this.#webhookPath ? 10 * 60_000 : ((options.pollTimeoutSeconds ?? 30) + 15) * 1000,
      probe: (signal) => this.#probe(signal),
      onDead: (reason) => {
        this.#setError(`no sign of life from the Bot API: ${reason}; reconnecting`);
        this.#log('warn', this.#state.lastError!);
        this.#link?.abort();
      },
    });
  }

  /**
   * Builds an account from `channels.telegram` config: the token is `botToken`, else the contents
   * of `tokenFile`, else (default account only) `TELEGRAM_BOT_TOKEN`. `overrides` win over the
   * config (embedders: backoff, a prepared bot).
   */
  static async fromConfig(ctx: ChannelFactoryContext, overrides: Partial<TelegramChannelOptions> = {}): Promise<TelegramChannel> {
    const c = ctx.config;
    let token: string | undefined;
    let tokenSource: string | undefined;
    if (typeof c.botToken === 'string' && c.botToken.trim()) {
      token = c.botToken.trim();
      tokenSource = 'config';
    } else if (typeof c.tokenFile === 'string' && c.tokenFile) {
      try {
        token = (await readFile(c.tokenFile, 'utf8')).trim();
      } catch (err) {
        throw new GatewayError('CONFIG_INVALID', `channels.telegram tokenFile ${c.tokenFile} is unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
      tokenSource = 'tokenFile';
    } else if (ctx.accountId === DEFAULT_ACCOUNT_ID && ctx.env.TELEGRAM_BOT_TOKEN) {
      token = ctx.env.TELEGRAM_BOT_TOKEN.trim();
      tokenSource = 'env';
    }
    const webhookUrl = typeof c.webhookUrl === 'string' && c.webhookUrl ? c.webhookUrl : undefined;
    return new TelegramChannel({
      token,
      tokenSource,
      accountId: ctx.accountId,
      name: typeof c.name === 'string' ? c.name : undefined,
      apiRoot: typeof c.apiRoot === 'string' ? c.apiRoot : undefined,
      webhook: webhookUrl
        ? { url: webhookUrl, secret: String(c.webhookSecret ?? ''), path: typeof c.webhookPath === 'string' ? c.webhookPath : undefined }
        : undefined,
      textChunkLimit: typeof c.textChunkLimit === 'number' ? c.textChunkLimit : undefined,
      replyToMode: c.replyToMode as TelegramChannelOptions['replyToMode'],
      logger: ctx.logger,
      clock: ctx.clock,
      ...overrides,
    });
  }

  on<K extends keyof ChannelEvents>(event: K, listener: (payload: ChannelEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.#state.running) return;
    if (!this.#bot) {
      this.#setError('no bot token configured (channels.telegram.botToken, tokenFile or TELEGRAM_BOT_TOKEN)');
      return;
    }
    const abort = new AbortController();
    this.#abort = abort;
    if (signal.aborted) abort.abort();
    else signal.addEventListener('abort', () => abort.abort(), { once: true });
    this.#state.running = true;
    this.#loop = this.#run(this.#bot, abort.signal).finally(() => {
      this.#state.running = false;
      this.#state.connected = false;
      this.#emitStatus();
    });
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    this.#watchdog.stop();
    await this.#loop;
    this.#loop = undefined;
    // Confirms the updates already handled, so a restart does not get them again (grammY's stop()).
    if (this.#bot && !this.#webhookPath && this.#offset > 0 && this.#state.lastConnectedAt !== null) {
      await this.#bot.api.getUpdates({ offset: this.#offset, limit: 1, timeout: 0 }, grammySignal(AbortSignal.timeout(2000))).catch(() => undefined);
    }
  }

  status(): ChannelAccountSnapshot {
    return {
      ...this.#state.snapshot(this.accountId),
      ...(this.#options.name ? { name: this.#options.name } : {}),
      configured: Boolean(this.#token),
      mode: this.#webhookPath ? 'webhook' : 'polling',
      ...(this.#options.tokenSource ? { tokenSource: this.#options.tokenSource } : {}),
      ...(this.#me ? { botId: this.#me.id, botUsername: this.#me.username } : {}),
      ...(this.#options.webhook ? { webhookPath: this.#webhookPath } : {}),
    };
  }

  async send(message: OutboundMessage): Promise<DeliveryResult> {
    const bot = this.#bot;
    if (!bot) throw new GatewayError('UNAVAILABLE', `telegram account ${this.accountId} has no bot token configured`);
    if (!this.#state.running) throw new GatewayError('UNAVAILABLE', `telegram account ${this.accountId} is not running`);
    // The poller (or the webhook watchdog) knows whether the Bot API is reachable: fail fast
    // instead of sending into a dead connection, and never queue for later.
    if (!this.#state.connected) {
      throw new ChannelSendError(`telegram is not connected: ${this.#state.lastError ?? 'still connecting'}`, {
        deliveryUnknown: false,
        retryable: true,
        retryAfterMs: this.#state.retryAfterMs(this.#clock.now()),
        details: { channel: 'telegram', accountId: this.accountId },
      });
    }
    const chatId = message.to.trim().replace(/^(?:telegram|tg):/i, '');
    const limit = Math.min(MAX_TEXT, this.#options.textChunkLimit ?? MAX_TEXT);
    const media = message.mediaUrls ?? [];
    const text = message.text.trim() ? message.text : '';
    const caption = media.length === 1 && text.length <= MAX_CAPTION ? text : '';
    const chunks = text && !caption ? chunkText(text, limit) : [];
    const replyMode = this.#options.replyToMode ?? 'first';
    const common = (index: number) => ({
      ...(message.replyTo && (replyMode === 'all' || (replyMode === 'first' && index === 0))
        ? { reply_parameters: { message_id: Number(message.replyTo), allow_sending_without_reply: true } }
        : {}),
      ...(message.threadId ? { message_thread_id: Number(message.threadId) } : {}),
    });

    const sent: Message[] = [];
    let index = 0;
    for (const url of media) {
      const file = await mediaInput(url);
      const method = mediaMethod(url, message.gifPlayback);
      const other = { ...common(index++), ...(caption ? { caption } : {}) };
      sent.push(await this.#call(method, sent.length > 0, () => (bot.api[method] as MediaSender)(chatId, file, other)));
    }
    for (const chunk of chunks) {
      const other = common(index++);
      sent.push(await this.#call('sendMessage', sent.length > 0, () => bot.api.sendMessage(chatId, chunk, other)));
    }
    this.#state.lastOutboundAt = this.#clock.now();
    // The Bot API answered with the stored message: that is Telegram's delivery ack.
    this.#state.lastAckAt = this.#state.lastOutboundAt;
    this.#watchdog.touch();
    const first = sent[0]!;
    return { messageId: String(first.message_id), chatId: String(first.chat.id) };
  }

  /**
   * The webhook endpoint as an HTTP route: false when the request is not for this account's path.
   * Answers 200 as soon as the update is accepted; handling continues after the response.
   */
  handleWebhook(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    if (!this.#webhookPath || !this.#bot) return false;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== this.#webhookPath) return false;
    return this.#serveWebhook(this.#bot, req, res).then(() => true);
  }

  async #serveWebhook(bot: Bot, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(405, 'Method Not Allowed');
    }
    const presented = req.headers['x-telegram-bot-api-secret-token'];
    if (typeof presented !== 'string' || !safeEqual(presented, this.#options.webhook!.secret)) return reply(401, 'Unauthorized');
    if (!this.#me) return reply(503, 'Not Ready');
    // readBody drains an oversize body so the sender actually reads the 413.
    const body = await readBody(req, res, this.#options.maxWebhookBodyBytes ?? 1024 * 1024);
    if (!body.ok) return body.reason === 'too_large' ? reply(413, 'Payload Too Large') : undefined;
    let update: unknown;
    try {
      update = JSON.parse(body.text);
    } catch {
      return reply(400, 'Bad Request');
    }
    if (!isUpdate(update)) return reply(400, 'Bad Request');
    this.#watchdog.touch();
    // The 200 hands the update over for good: only once the listeners (the inbound journal) have it.
    await this.#dispatch(bot, update);
    reply(200, 'OK');
  }

  async #run(bot: Bot, signal: AbortSignal): Promise<void> {
    const backoff = this.#options.backoff;
    // A quick deleteWebhook proves the API is reachable again without waiting out a long poll.
    let needsSetup = true;
    while (!signal.aborted) {
      const link = linkedAbort(signal);
      this.#link = link;
      try {
        if (!this.#me) {
          this.#me = await bot.api.getMe(grammySignal(link.signal));
          bot.botInfo = this.#me;
        }
        if (this.#options.webhook) {
          await bot.api.setWebhook(
            this.#options.webhook.url,
            { secret_token: this.#options.webhook.secret, allowed_updates: [...ALLOWED_UPDATES] },
            grammySignal(link.signal),
          );
          this.#markConnected();
          // Updates now arrive through handleWebhook, until stopped or the watchdog finds the hook gone.
          await new Promise((resolve) => link.signal.addEventListener('abort', resolve, { once: true }));
          if (signal.aborted) return;
          throw new Error('the watchdog found the webhook dead');
        }
        if (needsSetup) {
          await bot.api.deleteWebhook({}, grammySignal(link.signal));
          needsSetup = false;
          this.#markConnected();
        }
        const updates = await bot.api.getUpdates(
          { offset: this.#offset, timeout: this.#options.pollTimeoutSeconds ?? 30, allowed_updates: [...ALLOWED_UPDATES] },
          grammySignal(link.signal),
        );
        this.#watchdog.touch();
        this.#markConnected();
        for (const update of updates) {
          this.#offset = Math.max(this.#offset, update.update_id + 1);
          await this.#dispatch(bot, update);
        }
      } catch (err) {
        if (signal.aborted) return;
        if (!link.signal.aborted && err instanceof GrammyError && (err.error_code === 401 || err.error_code === 404)) {
          this.#setError(`the Bot API rejected the bot token (${err.error_code} ${err.description}); fix the token and reload`);
          this.#log('error', `stopped: ${this.#state.lastError}`);
          return;
        }
        let delay: number;
        if (link.signal.aborted) {
          // The watchdog declared the connection dead (and said why): set up afresh.
          needsSetup = true;
          delay = this.#state.retryDelay(this.#clock.now(), backoff);
        } else if (err instanceof GrammyError && err.error_code === 409) {
          delay = this.#conflictDelay();
          // A webhook set behind our back is deleted again; another poller can only be waited out.
          if (/webhook/i.test(err.description)) needsSetup = true;
          this.#setError(`conflict (409): another process is polling with this bot token (${err.description}); retrying in ${Math.ceil(delay / 1000)} s`);
        } else if (err instanceof GrammyError && err.error_code === 429) {
          delay = this.#state.retryDelay(this.#clock.now(), backoff);
          const retryAfter = err.parameters.retry_after;
          if (typeof retryAfter === 'number') delay = retryAfter * 1000;
          this.#state.retryAt = this.#clock.now() + delay;
          this.#state.lastError = `rate limited (429), retrying in ${Math.ceil(delay / 1000)}s`;
          this.#emitStatus();
        } else {
          needsSetup = true;
          delay = this.#state.retryDelay(this.#clock.now(), backoff);
          this.#setError(this.#describe(err));
        }
        this.#log('warn', `${this.#state.lastError}; retrying in ${delay} ms`);
        await sleep(delay, signal, this.#clock);
      } finally {
        link.dispose();
      }
    }
  }

  /**
   * The wait after a 409: its own capped backoff, whose streak survives the polls that succeed in
   * between (each poller's request ends the other's, so both keep "succeeding").
   */
  #conflictDelay(): number {
    const options = { initialMs: 5000, maxMs: 120_000, ...this.#options.conflictBackoff };
    const now = this.#clock.now();
    // Two pollers take turns ending each other's request, so our conflicts come up to two caps
    // apart while the other one lives; three caps without one means it is gone.
    if (this.#lastConflictAt !== null && now - this.#lastConflictAt > 3 * options.maxMs) this.#conflicts = 0;
    this.#lastConflictAt = now;
    const delay = backoffDelay(this.#conflicts++, options);
    this.#state.attempt++;
    this.#state.retryAt = now + delay;
    return delay;
  }

  /** The watchdog's question: polling asks getMe; webhook mode checks the hook is still ours. */
  async #probe(signal: AbortSignal): Promise<void> {
    const bot = this.#bot!;
    this.#state.lastProbeAt = this.#clock.now();
    if (!this.#options.webhook) {
      await bot.api.getMe(grammySignal(signal));
      return;
    }
    const info = await bot.api.getWebhookInfo(grammySignal(signal));
    if (info.url !== this.#options.webhook.url) throw new Error(`the webhook is ${info.url ? 'set to another URL' : 'not set'}`);
  }

  /** Never rejects: a failing update is logged, and neither stops the poll loop nor the webhook route. */
  async #dispatch(bot: Bot, update: Update): Promise<void> {
    try {
      await bot.handleUpdate(update);
    } catch (err) {
      this.#log('error', `update ${update.update_id} failed: ${this.#describe(err instanceof BotError ? err.error : err)}`);
    }
  }

  async #onMessage(msg: Message): Promise<void> {
    const me = this.#me;
    const from = msg.from;
    if (!me || !from || from.is_bot) return;
    const group = msg.chat.type !== 'private';
    const raw = msg.text ?? msg.caption ?? '';
    const entities = msg.entities ?? msg.caption_entities ?? [];
    const handle = `@${me.username}`.toLowerCase();
    const mentioned =
      entities.some((e) => {
        const part = raw.slice(e.offset, e.offset + e.length).toLowerCase();
        if (e.type === 'mention') return part === handle;
        if (e.type === 'text_mention') return e.user.id === me.id;
        if (e.type === 'bot_command') return part.endsWith(handle);
        return false;
      }) || msg.reply_to_message?.from?.id === me.id;
    let text = group ? raw.replace(new RegExp(`@${escapeRegExp(me.username)}\\b`, 'gi'), '').trim() : raw;
    const kind = mediaKind(msg);
    if (kind) text = text ? `${text}\n<media:${kind}>` : `<media:${kind}>`;
    const inbound: InboundMessage = {
      channel: 'telegram',
      accountId: this.accountId,
      chatId: String(msg.chat.id),
      chatType: group ? 'group' : 'direct',
      senderId: String(from.id),
      ...(from.username ? { senderAliases: [`@${from.username}`] } : {}),
      senderName: [from.first_name, from.last_name].filter(Boolean).join(' ') || from.username,
      messageId: String(msg.message_id),
      text,
      mentioned,
      ...(msg.is_topic_message && msg.message_thread_id ? { threadId: String(msg.message_thread_id) } : {}),
      ts: msg.date * 1000,
    };
    this.#state.lastInboundAt = this.#clock.now();
    await this.#events.emitAsync('message', inbound);
  }

  /**
   * One Bot API call of a send. A 429 with a short `retry_after` is retried once (nothing was
   * delivered); other upstream refusals fail at once; a network failure may or may not have
   * delivered, which the error says, so the send is not retried under the same key.
   */
  async #call<T>(method: string, partlySent: boolean, fn: () => Promise<T>): Promise<T> {
    for (let retried = false; ; retried = true) {
      try {
        return await fn();
      } catch (err) {
        const details = { channel: 'telegram', accountId: this.accountId, method };
        if (err instanceof GrammyError) {
          const retryAfter = err.parameters.retry_after;
          if (err.error_code === 429 && typeof retryAfter === 'number' && !retried && retryAfter * 1000 <= (this.#options.maxSendRetryAfterMs ?? 10_000)) {
            await sleep(retryAfter * 1000, undefined, this.#clock);
            continue;
          }
          throw new ChannelSendError(`telegram delivery failed: ${method}: ${this.#redact(`${err.error_code} ${err.description}`)}`, {
            deliveryUnknown: partlySent,
            details: { ...details, upstreamCode: err.error_code },
            ...(typeof retryAfter === 'number' ? { retryable: true, retryAfterMs: retryAfter * 1000 } : {}),
          });
        }
        if (err instanceof ChannelSendError) throw err;
        const reason = this.#describe(err);
        if (err instanceof HttpError) this.#setError(reason);
        throw new ChannelSendError(`telegram delivery failed: ${method}: ${reason}`, { deliveryUnknown: true, details });
      }
    }
  }

  #markConnected(): void {
    const first = !this.#state.connected;
    if (first) this.#watchdog.start();
    if (!this.#state.markConnected(this.#clock.now())) return;
    if (first) this.#log('info', `connected as @${this.#me?.username ?? '?'} (${this.#webhookPath ? 'webhook' : 'polling'})`);
    this.#emitStatus();
  }

  #setError(message: string): void {
    this.#state.lastError = this.#redact(message);
    this.#state.connected = false;
    this.#watchdog.stop();
    this.#emitStatus();
  }

  #emitStatus(): void {
    this.#events.emit('status', this.status());
  }

  /** What went wrong, in words that never include the token (grammY's inner errors carry the URL). */
  #describe(err: unknown): string {
    if (err instanceof GrammyError) return `${err.method}: ${err.error_code} ${err.description}`;
    if (err instanceof HttpError) {
      const inner = err.error as { message?: string; code?: string } | undefined;
      const why = inner?.code ?? inner?.message;
      return this.#redact(`network error: ${err.message}${why ? ` (${why})` : ''}`);
    }
    return this.#redact(err instanceof Error ? err.message : String(err));
  }

  #redact(text: string): string {
    return redactSecrets(text, [this.#token]);
  }

  #log(level: 'info' | 'warn' | 'error', message: string): void {
    this.#logger.log(level, SUBSYSTEM, this.#redact(message), { account: this.accountId });
  }
}

/** grammY's Node typings name the abort-controller polyfill's signal; the native one works the same. */
type GrammySignal = Parameters<Bot['api']['getMe']>[0];
function grammySignal(signal: AbortSignal): GrammySignal {
  return signal as unknown as GrammySignal;
}

/** An abort controller that also follows `parent`; dispose it to stop following. */
function linkedAbort(parent: AbortSignal): { signal: AbortSignal; abort(): void; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (parent.aborted) abort();
  else parent.addEventListener('abort', abort, { once: true });
  return { signal: controller.signal, abort, dispose: () => parent.removeEventListener('abort', abort) };
}

/** What grammY needs before it can route an update: a JSON object with an integer update_id. */
function isUpdate(value: unknown): value is Update {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Number.isInteger((value as { update_id?: unknown }).update_id);
}

type MediaSender = (chatId: string, file: InputFile | string, other: object) => Promise<Message>;

function mediaMethod(url: string, gif?: boolean): MediaMethod {
  const ext = extname(url.split(/[?#]/)[0]!).toLowerCase();
  if (gif || ext === '.gif') return 'sendAnimation';
  if (['.jpg', '.jpeg', '.png', '.webp'].includes(ext)) return 'sendPhoto';
  if (['.mp4', '.mov', '.webm', '.mkv'].includes(ext)) return 'sendVideo';
  if (['.ogg', '.oga', '.opus'].includes(ext)) return 'sendVoice';
  if (['.mp3', '.m4a', '.wav', '.flac', '.aac'].includes(ext)) return 'sendAudio';
  return 'sendDocument';
}

/** URLs go to Telegram as they are (it fetches them); local files are uploaded. */
async function mediaInput(url: string): Promise<InputFile | string> {
  if (/^https?:\/\//i.test(url)) return url;
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (!isAbsolute(path)) {
    throw new ChannelSendError(`media must be an http(s) URL or an absolute path: ${url}`, { deliveryUnknown: false });
  }
  try {
    await access(path);
  } catch {
    throw new ChannelSendError(`media file not found on the gateway host: ${path}`, { deliveryUnknown: false });
  }
  return new InputFile(path);
}

function mediaKind(msg: Message): string | undefined {
  if (msg.photo) return 'image';
  if (msg.animation) return 'gif';
  if (msg.video || msg.video_note) return 'video';
  if (msg.voice) return 'voice';
  if (msg.audio) return 'audio';
  if (msg.sticker) return 'sticker';
  if (msg.document) return 'document';
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The Telegram channel kind for `channelsRuntimePlugin({ definitions })`, with options that win
 * over the config (a prepared bot with transformers, backoff, a Bot API root).
 */
export function telegramChannelDefinition(overrides: Partial<TelegramChannelOptions> = {}): ChannelDefinition {
  return { ...telegramKind, create: (ctx) => TelegramChannel.fromConfig(ctx, overrides) };
}
