/**
 * The WhatsApp channel: {@link WhatsAppChannel}, one WhatsApp Web account through Baileys (an
 * optional peer dependency: install `@whiskeysockets/baileys` to use it).
 *
 * @module clawgate/channels/whatsapp
 */
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Browsers,
  DisconnectReason,
  isJidGroup,
  jidNormalizedUser,
  makeWASocket,
  useMultiFileAuthState,
  type AnyMessageContent,
  type AuthenticationState,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WAMessage,
} from '@whiskeysockets/baileys';
import {
  ChannelSendError,
  type Channel,
  type ChannelDefinition,
  type ChannelEvents,
  type ChannelFactoryContext,
  type ChannelLogin,
  type DeliveryResult,
  type InboundMessage,
  type OutboundMessage,
} from '../lib/channel.js';
import { ChannelAccountState } from '../lib/channels/account-state.js';
import { backoffDelay, sleep, type BackoffOptions } from '../lib/channels/backoff.js';
import { channelCredentialsDir, DEFAULT_ACCOUNT_ID } from '../lib/channels/channel-accounts.js';
import { chunkText } from '../lib/channels/chunk-text.js';
import { maskDigits } from '../lib/channels/redact.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { GatewayError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import type { ChannelAccountSnapshot, WebLoginStartResult, WebLoginWaitResult } from '../lib/protocol/generated/types.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { whatsappKind } from './channel-kinds.js';
import { mediaContent, toJid } from './whatsapp-content.js';
import { qrDataUrl } from './qr-data-url.js';
import { senderOf } from './whatsapp-sender.js';

/** The part of a Baileys socket the channel uses: its event emitter and send functions. */
export interface WhatsAppSocketLike {
  readonly ev: {
    on(event: 'connection.update' | 'creds.update' | 'messages.upsert', listener: (payload: any) => void): unknown;
    removeAllListeners(event: 'connection.update' | 'creds.update' | 'messages.upsert'): unknown;
  };
  readonly user?: { id: string; lid?: string; name?: string };
  sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined>;
  logout(msg?: string): Promise<void>;
  end(error: Error | undefined): void;
}

export type WhatsAppSocketConfig = Pick<UserFacingSocketConfig, 'auth' | 'logger' | 'browser' | 'markOnlineOnConnect' | 'syncFullHistory'>;
export type WhatsAppSocketFactory = (config: WhatsAppSocketConfig) => WhatsAppSocketLike;

export interface WhatsAppChannelOptions {
  /** Baileys multi-file auth state directory (`<state>/credentials/whatsapp/<accountId>`). */
  authDir: string;
  accountId?: string;
  name?: string;
  /** Builds the socket; defaults to Baileys' makeWASocket. Tests inject a scripted one. */
  socketFactory?: WhatsAppSocketFactory;
  /** Replies longer than this are split (default 4000). */
  textChunkLimit?: number;
  /** Reconnect backoff after a lost connection (default 1 s doubling to 30 s). */
  backoff?: BackoffOptions;
  /** How long `web.login.start` waits for the first QR (default 30 s). */
  qrWaitMs?: number;
  logger?: Logger;
  clock?: Clock;
}

interface LoginFlow {
  qr?: string;
  readonly done: Promise<{ ok: boolean; message: string }>;
  finish(result: { ok: boolean; message: string }): void;
  /** Woken by each QR code and by the end of the flow (no QR is coming then). */
  readonly qrWaiters: Set<() => void>;
}

const SUBSYSTEM = 'channels/whatsapp';
const SOCKET_EVENTS = ['connection.update', 'creds.update', 'messages.upsert'] as const;
const RECENT_MAX = 200;
const NOT_LINKED = 'WhatsApp is not linked; run openclaw channels login --channel whatsapp';

/**
 * A WhatsApp account through Baileys (WhatsApp Web multi-device): multi-file auth state on disk,
 * QR linking (`login`), inbound messages normalised for the router, sends with chunking and media,
 * and reconnects with capped backoff unless the phone logged the device out. Phone numbers are
 * masked in logs and errors.
 */
export class WhatsAppChannel implements Channel {
  readonly id = 'whatsapp';
  readonly accountId: string;
  readonly login: ChannelLogin;
  readonly #options: WhatsAppChannelOptions;
  readonly #factory: WhatsAppSocketFactory;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: TypedEmitter<ChannelEvents>;
  #auth?: { state: AuthenticationState; saveCreds: () => Promise<void> };
  #credsChain: Promise<void> = Promise.resolve();
  #sock?: WhatsAppSocketLike;
  #flow?: LoginFlow;
  /** How the last login ended, for a `wait` that comes after the end. */
  #lastFlowResult?: { ok: boolean; message: string };
  #reconnectTimer?: TimerHandle;
  #stopping?: Promise<void>;
  readonly #state = new ChannelAccountState();
  #authSavedAt: number | null = null;
  /** Recent inbound messages by id, so replies can quote them. */
  readonly #recent = new Map<string, WAMessage>();

  constructor(options: WhatsAppChannelOptions) {
    this.#options = options;
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    this.#factory = options.socketFactory ?? ((config) => makeWASocket(config) as unknown as WhatsAppSocketLike);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#events = new TypedEmitter<ChannelEvents>((err) => this.#log('error', `listener failed: ${String(err)}`));
    this.login = { start: (params) => this.#loginStart(params), wait: (params) => this.#loginWait(params) };
  }

  /** Builds an account from `channels.whatsapp` config; credentials live under the state dir. */
  static fromConfig(ctx: ChannelFactoryContext, socketFactory?: WhatsAppSocketFactory): WhatsAppChannel {
    const c = ctx.config;
    const authDir = typeof c.authDir === 'string' && c.authDir ? c.authDir : channelCredentialsDir(ctx.stateDir ?? '.', 'whatsapp', ctx.accountId);
    return new WhatsAppChannel({
      authDir,
      accountId: ctx.accountId,
      name: typeof c.name === 'string' ? c.name : undefined,
      textChunkLimit: typeof c.textChunkLimit === 'number' ? c.textChunkLimit : undefined,
      socketFactory,
      logger: ctx.logger,
      clock: ctx.clock,
    });
  }

  get linked(): boolean {
    return Boolean(this.#auth?.state.creds.me?.id);
  }

  on<K extends keyof ChannelEvents>(event: K, listener: (payload: ChannelEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Loads the stored credentials and connects when linked; an unlinked account waits for a login. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#state.running) return;
    this.#state.running = true;
    this.#stopping = undefined;
    signal.addEventListener(
      'abort',
      () => {
        this.stop().catch((err: unknown) => this.#log('error', `stopping failed: ${(err as Error).message}`));
      },
      { once: true },
    );
    await this.#loadAuth();
    if (this.linked) this.#connect();
    else this.#emitStatus();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (!this.#state.running) return;
    this.#state.running = false;
    this.#cancelReconnect();
    this.#endFlow({ ok: false, message: 'the WhatsApp channel stopped' });
    this.#closeSocket();
    this.#state.connected = false;
    await this.#credsChain;
    this.#emitStatus();
  }

  status(): ChannelAccountSnapshot {
    const me = this.#auth?.state.creds.me?.id;
    const digits = me ? jidNormalizedUser(me).split('@')[0] : undefined;
    return {
      ...this.#state.snapshot(this.accountId),
      ...(this.#options.name ? { name: this.#options.name } : {}),
      configured: this.linked,
      linked: this.linked,
      authAgeMs: this.linked && this.#authSavedAt !== null ? Math.max(0, this.#clock.now() - this.#authSavedAt) : null,
      ...(digits ? { self: { e164: `+${digits}` } } : {}),
      loginInProgress: Boolean(this.#flow),
    };
  }

  async send(message: OutboundMessage): Promise<DeliveryResult> {
    if (!this.linked) throw new GatewayError('NOT_LINKED', NOT_LINKED);
    const sock = this.#sock;
    if (!this.#state.running || !sock || !this.#state.connected) {
      throw new ChannelSendError(`whatsapp is not connected: ${this.#state.lastError ?? 'reconnecting'}`, {
        deliveryUnknown: false,
        details: { channel: 'whatsapp', accountId: this.accountId },
      });
    }
    const jid = toJid(message.to);
    const limit = this.#options.textChunkLimit ?? 4000;
    const media = message.mediaUrls ?? [];
    const text = message.text.trim() ? message.text : '';
    const caption = media.length === 1 && text.length <= 1024 ? text : '';
    const chunks = text && !caption ? chunkText(text, limit) : [];
    const quoted = message.replyTo ? this.#recent.get(message.replyTo) : undefined;
    const contents: AnyMessageContent[] = [
      ...media.map((url) => mediaContent(url, caption, message.gifPlayback)),
      ...chunks.map((chunk) => ({ text: chunk })),
    ];
    const ids: string[] = [];
    for (const content of contents) {
      try {
        const sent = await sock.sendMessage(jid, content, ids.length === 0 && quoted ? { quoted } : undefined);
        ids.push(sent?.key.id ?? '');
      } catch (err) {
        if (err instanceof GatewayError) throw err;
        throw new ChannelSendError(`whatsapp delivery failed: ${maskDigits((err as Error).message)}`, {
          deliveryUnknown: true,
          details: { channel: 'whatsapp', accountId: this.accountId },
        });
      }
    }
    this.#state.lastOutboundAt = this.#clock.now();
    return { messageId: ids[0] ?? '', toJid: jid };
  }

  /** Ends the WhatsApp session (the phone drops the linked device) and removes the credentials. */
  async logout(): Promise<{ cleared: boolean; loggedOut: boolean }> {
    this.#cancelReconnect();
    const sock = this.#sock;
    let loggedOut = false;
    if (sock) {
      this.#detach(sock);
      if (this.#state.connected) {
        try {
          await sock.logout();
          loggedOut = true;
        } catch (err) {
          this.#log('warn', `logout request failed: ${maskDigits((err as Error).message)}`);
        }
      }
    }
    this.#closeSocket();
    this.#endFlow({ ok: false, message: 'logged out' });
    const cleared = await this.#clearAuth();
    this.#state.connected = false;
    this.#state.lastError = null;
    this.#log('info', 'logged out; credentials removed');
    this.#emitStatus();
    return { cleared, loggedOut };
  }

  async #loginStart(params: { force?: boolean; timeoutMs?: number }): Promise<WebLoginStartResult> {
    if (!this.#state.running) throw new GatewayError('UNAVAILABLE', 'the WhatsApp channel is not running');
    if (this.linked && !params.force) {
      return { message: `WhatsApp is already linked${this.#selfSuffix()}.`, linked: true };
    }
    if (this.linked && params.force) await this.logout();
    let flow = this.#flow;
    if (!flow) {
      flow = newFlow();
      this.#flow = flow;
      this.#lastFlowResult = undefined;
      await this.#clearAuth();
      this.#connect();
    }
    if (!flow.qr) await this.#waitForQr(flow, params.timeoutMs ?? this.#options.qrWaitMs ?? 30_000);
    if (flow.qr) {
      return {
        message: 'Scan this QR code in WhatsApp: Settings > Linked devices > Link a device.',
        qr: flow.qr,
        qrDataUrl: qrDataUrl(flow.qr),
      };
    }
    const outcome = await Promise.race([flow.done, Promise.resolve(undefined)]);
    if (outcome?.ok || this.linked) return { message: `WhatsApp is linked${this.#selfSuffix()}.`, linked: true };
    if (outcome) throw new GatewayError('UNAVAILABLE', `WhatsApp login failed: ${outcome.message}`);
    this.#endFlow({ ok: false, message: 'no QR code arrived' });
    this.#closeSocket();
    throw new GatewayError('UNAVAILABLE', 'WhatsApp sent no QR code in time; try again');
  }

  async #loginWait(params: { timeoutMs?: number }): Promise<WebLoginWaitResult> {
    if (this.linked && this.#state.connected && !this.#flow) return { connected: true, message: `WhatsApp is linked and connected${this.#selfSuffix()}.` };
    const flow = this.#flow;
    if (!flow) {
      const last = this.#lastFlowResult;
      if (last && !last.ok) return { connected: false, message: last.message };
      return { connected: false, message: 'No WhatsApp login in progress; call web.login.start first.' };
    }
    const abort = new AbortController();
    const timedOut = sleep(params.timeoutMs ?? 120_000, abort.signal, this.#clock).then(() => undefined);
    const outcome = await Promise.race([flow.done, timedOut]);
    abort.abort();
    if (!outcome) return { connected: false, message: 'Still waiting for the QR code to be scanned.' };
    if (outcome.ok) return { connected: true, message: `Linked! WhatsApp is connected${this.#selfSuffix()}.` };
    return { connected: false, message: outcome.message };
  }

  #endFlow(result: { ok: boolean; message: string }): void {
    const flow = this.#flow;
    if (!flow) return;
    this.#flow = undefined;
    this.#lastFlowResult = result;
    flow.finish(result);
  }

  #waitForQr(flow: LoginFlow, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#clock.clearTimeout(timer);
        flow.qrWaiters.delete(done);
        resolve();
      };
      const timer = this.#clock.setTimeout(done, timeoutMs);
      flow.qrWaiters.add(done);
    });
  }

  async #loadAuth(): Promise<void> {
    const dir = this.#options.authDir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Baileys writes its key files with the default mode; the directory keeps them private.
    await chmod(dir, 0o700);
    this.#auth = await useMultiFileAuthState(dir);
    try {
      this.#authSavedAt = (await stat(join(dir, 'creds.json'))).mtimeMs;
    } catch {
      this.#authSavedAt = null;
    }
  }

  async #clearAuth(): Promise<boolean> {
    this.#closeSocket();
    await this.#credsChain;
    const existed = await stat(join(this.#options.authDir, 'creds.json')).then(
      () => true,
      () => false,
    );
    await rm(this.#options.authDir, { recursive: true, force: true });
    await this.#loadAuth();
    return existed;
  }

  #connect(): void {
    if (!this.#state.running || !this.#auth) return;
    this.#closeSocket();
    let sock: WhatsAppSocketLike;
    try {
      sock = this.#factory({
        auth: this.#auth.state,
        logger: baileysLogger(this.#logger),
        browser: Browsers.ubuntu('OpenClaw'),
        markOnlineOnConnect: false,
        syncFullHistory: false,
      });
    } catch (err) {
      this.#onClosed(undefined, `socket creation failed: ${(err as Error).message}`);
      return;
    }
    this.#sock = sock;
    sock.ev.on('creds.update', (update: Partial<AuthenticationState['creds']>) => this.#onCreds(update));
    sock.ev.on('connection.update', (update) => this.#onConnection(sock, update));
    sock.ev.on('messages.upsert', (upsert: { messages: WAMessage[]; type: string }) => this.#onMessages(sock, upsert));
  }

  #onCreds(update: Partial<AuthenticationState['creds']>): void {
    const auth = this.#auth;
    if (!auth) return;
    Object.assign(auth.state.creds, update);
    this.#authSavedAt = this.#clock.now();
    this.#credsChain = this.#credsChain
      .then(() => auth.saveCreds())
      .catch((err: unknown) => this.#log('error', `saving WhatsApp credentials failed: ${(err as Error).message}`));
  }

  #onConnection(sock: WhatsAppSocketLike, update: { connection?: string; lastDisconnect?: { error?: unknown }; qr?: string }): void {
    if (sock !== this.#sock) return;
    if (update.qr && this.#flow) {
      this.#flow.qr = update.qr;
      for (const waiter of [...this.#flow.qrWaiters]) waiter();
    }
    if (update.connection === 'open') {
      this.#state.markConnected(this.#clock.now());
      this.#log('info', `connected${this.#selfSuffix()}`);
      this.#endFlow({ ok: true, message: 'linked' });
      this.#emitStatus();
    } else if (update.connection === 'close') {
      this.#sock = undefined;
      this.#detach(sock);
      const error = update.lastDisconnect?.error as { output?: { statusCode?: number }; message?: string } | undefined;
      this.#onClosed(error?.output?.statusCode, error?.message ?? 'connection closed');
    }
  }

  #onClosed(code: number | undefined, reason: string): void {
    this.#state.connected = false;
    if (!this.#state.running) return;
    const why = `${maskDigits(reason)}${code ? ` (${code})` : ''}`;
    if (code === DisconnectReason.loggedOut) {
      this.#state.lastError = 'logged out from the phone; run openclaw channels login --channel whatsapp to link again';
      this.#log('warn', this.#state.lastError);
      this.#endFlow({ ok: false, message: this.#state.lastError });
      this.#clearAuth()
        .catch((err: unknown) => this.#log('error', `removing the logged-out credentials failed: ${(err as Error).message}`))
        .finally(() => this.#emitStatus());
      return;
    }
    if (!this.linked) {
      // A login socket that died before the phone scanned. Baileys closes with 408 both when the
      // QRs ran out and when the connection timed out before the first one; only the former expired.
      const message =
        this.#flow && !this.#flow.qr
          ? `WhatsApp sent no QR code (${why}); try again`
          : code === DisconnectReason.timedOut
            ? 'the QR code expired; start the login again'
            : `login failed: ${why}`;
      this.#state.lastError = message;
      this.#endFlow({ ok: false, message });
      this.#emitStatus();
      return;
    }
    if (code === DisconnectReason.restartRequired) {
      // Expected right after a QR scan: reconnect at once with the new credentials.
      this.#connect();
      return;
    }
    const delay = backoffDelay(this.#state.attempt++, this.#options.backoff);
    this.#state.lastError = `connection lost: ${why}; reconnecting in ${delay} ms`;
    this.#log('warn', this.#state.lastError);
    this.#emitStatus();
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
  }

  #onMessages(sock: WhatsAppSocketLike, upsert: { messages: WAMessage[]; type: string }): void {
    if (sock !== this.#sock || upsert.type !== 'notify') return;
    const self = this.#selfJids(sock);
    for (const msg of upsert.messages) {
      const remote = msg.key.remoteJid;
      if (!msg.message || msg.key.fromMe || !remote || remote === 'status@broadcast') continue;
      const group = Boolean(isJidGroup(remote));
      const { sender, lid } = senderOf(msg.key, group);
      if (!sender) continue;
      const content = msg.message;
      const context =
        content.extendedTextMessage?.contextInfo ??
        content.imageMessage?.contextInfo ??
        content.videoMessage?.contextInfo ??
        content.documentMessage?.contextInfo ??
        undefined;
      let text = content.conversation ?? content.extendedTextMessage?.text ?? content.imageMessage?.caption ?? content.videoMessage?.caption ?? content.documentMessage?.caption ?? '';
      const kind = content.imageMessage ? 'image' : content.videoMessage ? 'video' : content.audioMessage ? 'audio' : content.documentMessage ? 'document' : content.stickerMessage ? 'sticker' : undefined;
      if (kind) text = text ? `${text}\n<media:${kind}>` : `<media:${kind}>`;
      const mentioned =
        (context?.mentionedJid ?? []).some((jid) => self.has(jidNormalizedUser(jid))) ||
        (context?.participant ? self.has(jidNormalizedUser(context.participant)) : false);
      if (group) {
        for (const jid of self) text = text.replaceAll(`@${jid.split('@')[0]}`, '').trim();
      }
      const id = msg.key.id ?? `${Date.now()}`;
      this.#remember(id, msg);
      const digits = sender.endsWith('@s.whatsapp.net') ? sender.split('@')[0] : undefined;
      const inbound: InboundMessage = {
        channel: 'whatsapp',
        accountId: this.accountId,
        chatId: remote,
        chatType: group ? 'group' : 'direct',
        senderId: sender,
        ...(digits || lid ? { senderAliases: [...(digits ? [`+${digits}`] : []), ...(lid ? [lid] : [])] } : {}),
        ...(msg.pushName ? { senderName: msg.pushName } : {}),
        messageId: id,
        text,
        mentioned,
        ts: Number(msg.messageTimestamp ?? 0) * 1000 || this.#clock.now(),
      };
      this.#state.lastInboundAt = this.#clock.now();
      this.#events.emit('message', inbound);
    }
  }

  #selfJids(sock: WhatsAppSocketLike): Set<string> {
    const ids = [sock.user?.id, sock.user?.lid, this.#auth?.state.creds.me?.id, this.#auth?.state.creds.me?.lid];
    return new Set(ids.filter((id): id is string => Boolean(id)).map((id) => jidNormalizedUser(id)));
  }

  #remember(id: string, msg: WAMessage): void {
    this.#recent.set(id, msg);
    if (this.#recent.size > RECENT_MAX) this.#recent.delete(this.#recent.keys().next().value!);
  }

  #closeSocket(): void {
    const sock = this.#sock;
    this.#sock = undefined;
    if (!sock) return;
    this.#detach(sock);
    try {
      sock.end(undefined);
    } catch {
      // Already closed.
    }
  }

  #detach(sock: WhatsAppSocketLike): void {
    for (const event of SOCKET_EVENTS) sock.ev.removeAllListeners(event);
  }

  #cancelReconnect(): void {
    if (this.#reconnectTimer !== undefined) this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }

  #selfSuffix(): string {
    const e164 = (this.status().self as { e164?: string } | undefined)?.e164;
    return e164 ? ` as ${maskDigits(e164)}` : '';
  }

  #emitStatus(): void {
    this.#events.emit('status', this.status());
  }

  #log(level: 'info' | 'warn' | 'error', message: string): void {
    this.#logger.log(level, SUBSYSTEM, maskDigits(message), { account: this.accountId });
  }
}

function newFlow(): LoginFlow {
  let finish!: (result: { ok: boolean; message: string }) => void;
  const done = new Promise<{ ok: boolean; message: string }>((resolve) => (finish = resolve));
  const qrWaiters = new Set<() => void>();
  return {
    done,
    qrWaiters,
    finish: (result) => {
      finish(result);
      for (const waiter of [...qrWaiters]) waiter();
    },
  };
}

/** Baileys talks a lot; its messages go to our debug level, numbers masked. */
function baileysLogger(logger: Logger): WhatsAppSocketConfig['logger'] {
  const write = (obj: unknown, msg?: string) => {
    const text = msg ?? (typeof obj === 'string' ? obj : (obj as { msg?: string; err?: { message?: string } })?.err?.message ?? '');
    if (text) logger.log('debug', SUBSYSTEM, maskDigits(text));
  };
  const make = (): NonNullable<WhatsAppSocketConfig['logger']> => ({
    level: 'debug',
    child: () => make(),
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: write,
    error: write,
  });
  return make();
}

export interface WhatsAppChannelDefinitionOptions {
  /** Builds the Baileys socket; default makeWASocket. Tests and embedders inject their own. */
  socketFactory?: WhatsAppSocketFactory;
}

/** The WhatsApp channel kind for `channelsRuntimePlugin({ definitions })`. */
export function whatsappChannelDefinition(options: WhatsAppChannelDefinitionOptions = {}): ChannelDefinition {
  return { ...whatsappKind, create: (ctx) => WhatsAppChannel.fromConfig(ctx, options.socketFactory) };
}
