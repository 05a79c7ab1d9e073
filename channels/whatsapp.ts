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
  jidNormalizedUser,
  makeWASocket,
  S_WHATSAPP_NET,
  WAMessageStatus,
  type AnyMessageContent,
  type AuthenticationState,
  type BinaryNode,
  type MiscMessageGenerationOptions,
  type UserFacingSocketConfig,
  type WAMessage,
  type WAMessageUpdate,
} from '@whiskeysockets/baileys';
import {
  ChannelSendError,
  type Channel,
  type ChannelDefinition,
  type ChannelEvents,
  type ChannelFactoryContext,
  type ChannelLogin,
  type DeliveryResult,
  type OutboundMessage,
} from '../lib/channel.js';
import { ChannelAccountState } from '../lib/channels/account-state.js';
import { sleep, type BackoffOptions } from '../lib/channels/backoff.js';
import { channelCredentialsDir, DEFAULT_ACCOUNT_ID } from '../lib/channels/channel-accounts.js';
import { chunkText } from '../lib/channels/chunk-text.js';
import { ConnectionWatchdog, type WatchdogOptions } from '../lib/channels/connection-watchdog.js';
import { maskDigits } from '../lib/channels/redact.js';
import { systemClock, type Clock, type TimerHandle } from '../lib/clock.js';
import { GatewayError } from '../lib/errors.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import type { ChannelAccountSnapshot, WebLoginStartResult, WebLoginWaitResult } from '../lib/protocol/generated/types.js';
import { TypedEmitter } from '../lib/typed-emitter.js';
import { baileysLogger } from './baileys-logger.js';
import { whatsappKind } from './channel-kinds.js';
import { WhatsAppAuthStore } from './whatsapp-auth-store.js';
import { mediaContent, toJid } from './whatsapp-content.js';
import { qrDataUrl } from './qr-data-url.js';
import { newLoginFlow, type LoginFlow } from './whatsapp-login-flow.js';
import { inboundMessage } from './whatsapp-inbound.js';

type SocketEvent = 'connection.update' | 'creds.update' | 'messages.upsert' | 'messages.update';

/**
 * The part of a Baileys socket the channel uses: its event emitter, its WebSocket (every decoded
 * frame, keepalive answers included, is a sign of life), queries (the watchdog's ping) and sends.
 */
export interface WhatsAppSocketLike {
  readonly ev: {
    on(event: SocketEvent, listener: (payload: any) => void): unknown;
    removeAllListeners(event: SocketEvent): unknown;
  };
  readonly ws: {
    on(event: 'frame', listener: () => void): unknown;
    off(event: 'frame', listener: () => void): unknown;
  };
  readonly user?: { id: string; lid?: string; name?: string };
  query(node: BinaryNode, timeoutMs?: number): Promise<unknown>;
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
  /** Reconnect backoff after a lost connection (default 1 s doubling to 30 s; `web.reconnect`). Never gives up. */
  backoff?: BackoffOptions;
  /**
   * A socket that stays silent this long (no frame at all, while Baileys pings every 30 s) is
   * probed with a ping query and reconnected when that fails (default 60 s, `web.heartbeatSeconds`).
   */
  watchdog?: WatchdogOptions;
  /** How long `web.login.start` waits for the first QR (default 30 s). */
  qrWaitMs?: number;
  logger?: Logger;
  clock?: Clock;
}

const SUBSYSTEM = 'channels/whatsapp';
const SOCKET_EVENTS: readonly SocketEvent[] = ['connection.update', 'creds.update', 'messages.upsert', 'messages.update'];
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
  readonly #watchdog: ConnectionWatchdog;
  readonly #onFrame = () => this.#watchdog.touch();
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
    this.#watchdog = new ConnectionWatchdog({
      ...options.watchdog,
      clock: this.#clock,
      defaultSilenceMs: 60_000,
      probe: (signal) => this.#probe(signal),
      onDead: (reason) => this.#onDead(reason),
    });
  }

  /** Builds an account from `channels.whatsapp` config; credentials live under the state dir. */
  static fromConfig(ctx: ChannelFactoryContext, options: WhatsAppChannelDefinitionOptions = {}): WhatsAppChannel {
    const c = ctx.config;
    const authDir = typeof c.authDir === 'string' && c.authDir ? c.authDir : channelCredentialsDir(ctx.stateDir ?? '.', 'whatsapp', ctx.accountId);
    return new WhatsAppChannel({
      authDir,
      accountId: ctx.accountId,
      name: typeof c.name === 'string' ? c.name : undefined,
      textChunkLimit: typeof c.textChunkLimit === 'number' ? c.textChunkLimit : undefined,
      ...options,
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
        retryable: true,
        retryAfterMs: this.#state.retryAfterMs(this.#clock.now()),
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
      flow = newLoginFlow();
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
    // The directory stays private even where an earlier version wrote files with the default mode.
    await chmod(dir, 0o700);
    this.#auth = await WhatsAppAuthStore.open(dir, this.#logger);
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
        logger: baileysLogger(this.#logger, SUBSYSTEM),
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
    sock.ev.on('messages.update', (updates: WAMessageUpdate[]) => this.#onUpdates(sock, updates));
    sock.ws.on('frame', this.#onFrame);
  }

  /** Server and delivery acks of our own messages: the link demonstrably carries traffic. */
  #onUpdates(sock: WhatsAppSocketLike, updates: WAMessageUpdate[]): void {
    if (sock !== this.#sock) return;
    const acked = updates.some((u) => u.key.fromMe && typeof u.update.status === 'number' && u.update.status >= WAMessageStatus.SERVER_ACK);
    if (!acked) return;
    this.#state.lastAckAt = this.#clock.now();
    this.#watchdog.touch();
  }

  /** The watchdog's ping: the same IQ Baileys' own keepalive sends, answered by the server. */
  async #probe(signal: AbortSignal): Promise<void> {
    const sock = this.#sock;
    if (!sock) throw new Error('no socket');
    this.#state.lastProbeAt = this.#clock.now();
    const pong = sock.query({ tag: 'iq', attrs: { to: S_WHATSAPP_NET, type: 'get', xmlns: 'w:p' }, content: [{ tag: 'ping', attrs: {} }] });
    await Promise.race([pong, new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('probe cancelled')), { once: true }))]);
  }

  /** The socket looks open but is not: drop it and reconnect like after any lost connection. */
  #onDead(reason: string): void {
    const sock = this.#sock;
    if (!sock) return;
    this.#sock = undefined;
    this.#detach(sock);
    try {
      sock.end(new Error(reason));
    } catch {
      // Already closed.
    }
    this.#onClosed(undefined, `no sign of life: ${reason}`);
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
    this.#watchdog.touch();
    if (update.connection === 'open') {
      this.#state.markConnected(this.#clock.now());
      this.#watchdog.start();
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
    this.#watchdog.stop();
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
    const delay = this.#state.retryDelay(this.#clock.now(), this.#options.backoff);
    this.#state.lastError = `connection lost: ${why}; reconnecting in ${delay} ms`;
    this.#log('warn', this.#state.lastError);
    this.#emitStatus();
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
  }

  #onMessages(sock: WhatsAppSocketLike, upsert: { messages: WAMessage[]; type: string }): void {
    if (sock !== this.#sock) return;
    this.#watchdog.touch();
    if (upsert.type !== 'notify') return;
    const self = this.#selfJids(sock);
    for (const msg of upsert.messages) {
      const inbound = inboundMessage(msg, { accountId: this.accountId, self, now: this.#clock.now() });
      if (!inbound) continue;
      this.#remember(inbound.messageId, msg);
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
    this.#watchdog.stop();
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
    sock.ws.off('frame', this.#onFrame);
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

export interface WhatsAppChannelDefinitionOptions {
  /** Builds the Baileys socket; default makeWASocket. Tests and embedders inject their own. */
  socketFactory?: WhatsAppSocketFactory;
  /** Reconnect backoff (the runtime passes `web.reconnect`). */
  backoff?: BackoffOptions;
  /** The silent-socket watchdog (the runtime passes `web.heartbeatSeconds` as its window). */
  watchdog?: WatchdogOptions;
}

/** The WhatsApp channel kind for `channelsRuntimePlugin({ definitions })`. */
export function whatsappChannelDefinition(options: WhatsAppChannelDefinitionOptions = {}): ChannelDefinition {
  return { ...whatsappKind, create: (ctx) => WhatsAppChannel.fromConfig(ctx, options) };
}
