import type { Clock } from './clock.js';
import { GatewayError, type GatewayErrorOptions } from './errors.js';
import type { Logger } from './logger.js';
import type {
  ChannelAccountSnapshot,
  WebLoginStartParams,
  WebLoginStartResult,
  WebLoginWaitParams,
  WebLoginWaitResult,
} from './protocol/generated/types.js';

export type ChatType = 'direct' | 'group';

/** One message a channel received, in the same shape whatever the network. */
export interface InboundMessage {
  channel: string;
  accountId: string;
  /** Where replies go: the Telegram chat id, the WhatsApp chat JID. */
  chatId: string;
  chatType: ChatType;
  /** Who wrote it: the Telegram user id, the WhatsApp sender JID. */
  senderId: string;
  /** Other names of the sender that allow lists may use (`@username`, `+15551234567`). */
  senderAliases?: string[];
  senderName?: string;
  messageId: string;
  text: string;
  /** The bot was mentioned (`@bot`) or the message replies to one of the bot's own messages. */
  mentioned: boolean;
  /** Forum topic (Telegram) the message belongs to; replies stay in it. */
  threadId?: string;
  ts: number;
}

/** What a channel is asked to deliver. Adapters split long text and pick the media call. */
export interface OutboundMessage {
  to: string;
  text: string;
  /** http(s) URLs, file:// URLs or absolute paths on this host. */
  mediaUrls?: string[];
  gifPlayback?: boolean;
  /** Id of the message this one answers (quoted where the network supports it). */
  replyTo?: string;
  threadId?: string;
}

/** Where a delivered message landed; the id of its first part (long text goes out in parts). */
export interface DeliveryResult {
  messageId: string;
  chatId?: string;
  channelId?: string;
  toJid?: string;
  conversationId?: string;
}

export interface ChannelEvents {
  /**
   * A listener may return a promise: the channel acknowledges the message upstream (Telegram's
   * update offset, a webhook's 200) only once it settled, and the manager settles it once the
   * message is journaled, so a crash in between does not lose it.
   */
  message: InboundMessage;
  /** The account's snapshot after a change of connection state or error. */
  status: ChannelAccountSnapshot;
}

/** QR linking of a device-style account (WhatsApp); the `web.login.*` methods drive it. */
export interface ChannelLogin {
  start(params: Omit<WebLoginStartParams, 'accountId'>): Promise<WebLoginStartResult>;
  wait(params: Omit<WebLoginWaitParams, 'accountId'>): Promise<WebLoginWaitResult>;
}

/**
 * One account of one messaging network. `start` resolves once the account is set up and keeps
 * (re)connecting in the background until `signal` aborts or `stop` is called; `send` fails fast
 * while the account is down instead of queueing.
 */
export interface Channel {
  /** Channel id as used in config and `send` (`telegram`, `whatsapp`). */
  readonly id: string;
  readonly accountId: string;
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  status(): ChannelAccountSnapshot;
  send(message: OutboundMessage): Promise<DeliveryResult>;
  /** A listener may return a promise; see {@link ChannelEvents.message} for what the channel waits for. */
  on<K extends keyof ChannelEvents>(event: K, listener: (payload: ChannelEvents[K]) => void | Promise<void>): () => void;
  readonly login?: ChannelLogin;
  /** Ends the upstream session where there is one and removes the stored credentials. */
  logout?(): Promise<{ cleared: boolean; loggedOut: boolean }>;
}

/** What a channel factory gets to build one account. */
export interface ChannelFactoryContext {
  channelId: string;
  accountId: string;
  /** The account's settings: `channels.<id>` merged with `channels.<id>.accounts.<accountId>`. */
  config: Record<string, unknown>;
  stateDir?: string;
  env: Record<string, string | undefined>;
  logger: Logger;
  clock: Clock;
}

/** A kind of channel the manager can run. Hosts register these; the core knows no network. */
export interface ChannelDefinition {
  id: string;
  label: string;
  create(ctx: ChannelFactoryContext): Channel | Promise<Channel>;
  /**
   * Whether the default account runs although `channels.<id>` is absent (a token in the
   * environment, credentials from an earlier login).
   */
  autoEnable?(ctx: Omit<ChannelFactoryContext, 'config' | 'logger' | 'clock'>): boolean | Promise<boolean>;
  /** Whether `web.login.*` may create the default account on demand (QR-linked channels). */
  loginCreatesAccount?: boolean;
}

/**
 * A delivery that did not happen (or may have happened) upstream. `deliveryUnknown` says the
 * request may have reached the network before it failed, so the send must not be retried under
 * the same idempotency key.
 */
export class ChannelSendError extends GatewayError {
  readonly deliveryUnknown: boolean;

  constructor(message: string, options: GatewayErrorOptions & { deliveryUnknown: boolean }) {
    super('UNAVAILABLE', message, options);
    this.deliveryUnknown = options.deliveryUnknown;
  }
}
