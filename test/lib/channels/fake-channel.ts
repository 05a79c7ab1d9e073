import { ChannelSendError, type Channel, type ChannelEvents, type DeliveryResult, type InboundMessage, type OutboundMessage } from '../../../lib/channel.js';
import type { ChannelsConfig } from '../../../lib/channels/channel-manager.js';
import type { ChannelAgentRunner } from '../../../lib/channels/inbound-router.js';
import { GatewayError } from '../../../lib/errors.js';
import type { Gateway } from '../../../lib/gateway.js';
import { channelsPlugin, type ChannelsPluginOptions } from '../../../lib/plugins/channels-plugin.js';
import type { ChannelAccountSnapshot } from '../../../lib/protocol/generated/types.js';
import type { ChannelManager } from '../../../lib/channels/channel-manager.js';
import { channelsService } from '../../../lib/services.js';
import type { Storage } from '../../../lib/storage.js';
import { TypedEmitter } from '../../../lib/typed-emitter.js';
import { createTestGateway } from '../../transports/contract.js';

/**
 * A channel account held by the test: records what it sends, goes up and down on request, and
 * hands inbound messages to the manager the way adapters do (resolving when it may ack them).
 */
export class FakeChannel implements Channel {
  readonly id = 'fake';
  readonly accountId = 'default';
  readonly sent: OutboundMessage[] = [];
  connected = true;
  /** Sends never settle: the process "dies" in the middle of one. */
  hang = false;
  readonly #events = new TypedEmitter<ChannelEvents>((err) => {
    throw err;
  });
  readonly #waiters = new Set<() => void>();
  #ids = 0;

  running = false;

  async start(): Promise<void> {
    this.running = true;
    this.#events.emit('status', this.status());
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  status(): ChannelAccountSnapshot {
    return { accountId: this.accountId, enabled: true, configured: true, running: this.running, connected: this.connected, lastError: null, lastMessageAt: null };
  }

  async send(message: OutboundMessage): Promise<DeliveryResult> {
    if (this.hang) return new Promise(() => {});
    if (!this.running) throw new GatewayError('UNAVAILABLE', 'fake account is not running');
    if (!this.connected) throw new ChannelSendError('fake is not connected', { deliveryUnknown: false });
    this.sent.push(message);
    for (const w of [...this.#waiters]) w();
    return { messageId: `out-${++this.#ids}`, chatId: message.to };
  }

  on<K extends keyof ChannelEvents>(event: K, listener: (payload: ChannelEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** An inbound message; resolves once the listeners (the journal) are done with it, like an ack. */
  receive(message: Partial<InboundMessage> & { messageId: string; text: string }): Promise<void> {
    return this.#events.emitAsync('message', {
      channel: 'fake',
      accountId: 'default',
      chatId: 'chat-1',
      chatType: 'direct',
      senderId: 'ada',
      mentioned: false,
      ts: 0,
      ...message,
    });
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.#events.emit('status', this.status());
  }

  /** Resolves once `count` messages were sent. */
  waitForSent(count: number, timeoutMs = 5000): Promise<OutboundMessage[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.sent.length < count) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(this.sent);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${this.sent.length} of ${count} sends within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

export interface FakeGateway {
  gateway: Gateway;
  manager: ChannelManager;
  channel: FakeChannel;
}

/**
 * A gateway whose only channel is `channel`, over `storage`: one "process". A crash is simulated
 * by starting another one over the same storage without closing this one.
 */
export async function startFakeGateway(
  storage: Storage,
  options: { channel?: FakeChannel; runAgent?: ChannelAgentRunner; config?: ChannelsConfig } & Partial<ChannelsPluginOptions> = {},
): Promise<FakeGateway> {
  const { channel = new FakeChannel(), config, ...rest } = options;
  const gateway = createTestGateway();
  gateway.use(
    channelsPlugin({
      definitions: [{ id: 'fake', label: 'Fake', create: () => channel }],
      config: config ?? { fake: { dmPolicy: 'open' } },
      storage,
      runAgent: async () => [],
      ...rest,
    }),
  );
  await gateway.start();
  return { gateway, manager: gateway.service(channelsService), channel };
}
