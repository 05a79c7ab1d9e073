import { ChannelSendError, type Channel, type ChannelDefinition, type ChannelLogin, type InboundMessage } from '../channel.js';
import { systemClock, type Clock } from '../clock.js';
import { GatewayError, invalidRequest } from '../errors.js';
import { IdempotencyCache } from '../idempotency-cache.js';
import { silentLogger, type Logger } from '../logger.js';
import type { GatewayHost } from '../plugin.js';
import type {
  ChannelAccountSnapshot,
  ChannelSummary,
  ChannelsStatusResult,
  GatewayEventMap,
  SendParams,
  SendResult,
} from '../protocol/generated/types.js';
import { MemoryStorage, type Storage } from '../storage.js';
import { TypedEmitter } from '../typed-emitter.js';
import { latestTime } from './account-state.js';
import {
  accountPolicy,
  DEFAULT_ACCOUNT_ID,
  resolveChannelAccounts,
  type ChannelAccountPolicy,
  type ResolvedChannelAccount,
} from './channel-accounts.js';
import { ChannelPairingStore } from './channel-pairing-store.js';
import { InboundRouter, type ChannelAgentRunner, type InboundOutcome } from './inbound-router.js';
import { maskDigits } from './redact.js';

/** The `channels.<id>` sections of the config, by channel id. */
export type ChannelsConfig = Record<string, Record<string, unknown> | undefined>;

export interface ChannelManagerOptions {
  gateway: GatewayHost;
  /** The kinds of channel this gateway can run, in display order. */
  definitions: ChannelDefinition[];
  config?: ChannelsConfig;
  /** `messages.groupChat.mentionPatterns`: for accounts without a pattern list of their own. */
  mentionPatterns?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Where DM pairing codes and approved senders live (`credentials/<channel>-*.json`); default memory. */
  storage?: Storage;
  stateDir?: string;
  logger?: Logger;
  clock?: Clock;
  /** Runs inbound messages through an agent; default `gateway.call('agent', …)`. */
  runAgent?: ChannelAgentRunner;
  /** Agent that answers channel messages (default: the gateway's default agent). */
  agentId?: string;
  /** `send` idempotency cache (default 5 minutes, 1000 entries; docs/protocol.md, Idempotency). */
  sendCache?: { ttlMs?: number; maxEntries?: number };
}

export interface ChannelManagerEvents {
  /** Every inbound message and what became of it. */
  inbound: { message: InboundMessage; outcome: InboundOutcome };
  /** An account changed connection state or failed. */
  status: { channel: string; snapshot: ChannelAccountSnapshot };
  error: Error;
}

interface AccountEntry {
  readonly channelId: string;
  readonly accountId: string;
  enabled: boolean;
  config: Record<string, unknown>;
  policy: ChannelAccountPolicy;
  fingerprint: string;
  channel?: Channel;
  abort?: AbortController;
  unsubscribe: (() => void)[];
  startError?: string;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  /** Connection facts last announced through `health`, to refresh it only on a real change. */
  announced?: string;
}

/**
 * Owns the channel accounts of a gateway: builds them from `channels.<id>` config, restarts one
 * channel at a time on reload, routes inbound messages to the agent, and serves `send`,
 * `channels.status`, `channels.logout` and `web.login.*`. It also feeds the channels part of
 * `health` and `status`.
 */
export class ChannelManager {
  readonly pairing: ChannelPairingStore;
  readonly #gateway: GatewayHost;
  readonly #definitions = new Map<string, ChannelDefinition>();
  readonly #sections: ChannelsConfig;
  readonly #mentionPatterns: readonly string[];
  readonly #env: Record<string, string | undefined>;
  readonly #stateDir?: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #router: InboundRouter;
  readonly #sendCache: IdempotencyCache<SendResult>;
  readonly #emitter: TypedEmitter<ChannelManagerEvents>;
  readonly #accounts = new Map<string, Map<string, AccountEntry>>();
  /** Per channel: the tail of its start/reload/stop queue, so one channel changes at a time. */
  readonly #queues = new Map<string, Promise<unknown>>();
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: ChannelManagerOptions) {
    this.#gateway = options.gateway;
    for (const def of options.definitions) this.#definitions.set(def.id, def);
    this.#sections = { ...options.config };
    this.#mentionPatterns = options.mentionPatterns ?? [];
    this.#env = options.env ?? {};
    this.#stateDir = options.stateDir;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#emitter = new TypedEmitter<ChannelManagerEvents>((err) => this.#logger.log('error', 'channels', `listener failed: ${(err as Error).message}`));
    const now = () => this.#clock.now();
    this.pairing = new ChannelPairingStore({ storage: options.storage ?? new MemoryStorage(), now });
    this.#sendCache = new IdempotencyCache<SendResult>({ ...options.sendCache, now });
    const gateway = this.#gateway;
    this.#router = new InboundRouter({
      pairing: this.pairing,
      runAgent: options.runAgent ?? (async (params) => {
        const res = await gateway.call('agent', params);
        // A duplicate of a run still in flight is answered with its ack alone (docs/protocol.md, Idempotency).
        if (res.status !== 'ok') throw new GatewayError('UNAVAILABLE', `agent run ${res.runId} ended without a result`);
        return res.result.payloads;
      }),
      agentId: () => options.agentId ?? gateway.defaultAgentId,
      policyFor: (channel, accountId) => this.#accounts.get(channel)?.get(accountId)?.policy,
      logger: this.#logger,
      now,
    });
    gateway.addHealthStage((base) => this.#health(base));
  }

  on<K extends keyof ChannelManagerEvents>(event: K, listener: (payload: ChannelManagerEvents[K]) => void): () => void {
    return this.#emitter.on(event, listener);
  }

  /** Channel ids this manager can run, in display order. */
  channelIds(): string[] {
    return [...this.#definitions.keys()];
  }

  /** The running account, if any. */
  channel(channelId: string, accountId?: string): Channel | undefined {
    const accounts = this.#accounts.get(channelId);
    if (!accounts) return undefined;
    return (accountId ? accounts.get(accountId) : defaultEntry(accounts))?.channel;
  }

  /** Every running account of a channel. */
  channels(channelId: string): Channel[] {
    return [...(this.#accounts.get(channelId)?.values() ?? [])].flatMap((e) => (e.channel ? [e.channel] : []));
  }

  /** Starts every configured account; connections come up in the background. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new GatewayError('CLOSED', `channel manager cannot start from state ${this.#state}`);
    this.#state = 'running';
    await Promise.all(this.channelIds().map((id) => this.#serial(id, () => this.#apply(id))));
    this.#announce();
  }

  /**
   * Applies a new `channels.<channelId>` section (undefined: removed) to that channel only:
   * accounts whose connection settings changed restart, policy-only changes apply in place.
   */
  async reload(channelId: string, section: Record<string, unknown> | undefined): Promise<void> {
    if (!this.#definitions.has(channelId)) throw invalidRequest(`unsupported channel: ${channelId}`);
    await this.#serial(channelId, async () => {
      this.#sections[channelId] = section;
      if (this.#state === 'running') await this.#apply(channelId);
    });
    this.#announce();
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    await Promise.all(
      this.channelIds().map((id) =>
        this.#serial(id, async () => {
          const accounts = this.#accounts.get(id);
          if (!accounts) return;
          await Promise.all([...accounts.values()].map((entry) => this.#stopEntry(entry)));
          this.#accounts.delete(id);
        }),
      ),
    );
  }

  /** `send`: once per idempotency key, concurrent duplicates share one delivery. */
  send(params: SendParams): Promise<SendResult> {
    const channelId = (params.channel ?? 'whatsapp').trim().toLowerCase();
    if (!this.#definitions.has(channelId)) return Promise.reject(invalidRequest(`unsupported channel: ${params.channel}`));
    const mediaUrls = [...(params.mediaUrl ? [params.mediaUrl] : []), ...(params.mediaUrls ?? [])];
    if (!params.message.trim() && mediaUrls.length === 0) return Promise.reject(invalidRequest('message or media required'));
    return this.#sendCache.run(
      `send:${params.idempotencyKey}`,
      async () => {
        const entry = this.#sendTarget(channelId, params.accountId);
        const channel = entry.channel!;
        let delivered;
        try {
          delivered = await channel.send({
            to: params.to,
            text: params.message,
            ...(mediaUrls.length ? { mediaUrls } : {}),
            ...(params.gifPlayback ? { gifPlayback: true } : {}),
          });
        } catch (err) {
          if (err instanceof GatewayError) throw err;
          throw new ChannelSendError(`${channelId} delivery failed: ${maskDigits((err as Error).message)}`, {
            deliveryUnknown: true,
            details: { channel: channelId, accountId: entry.accountId },
          });
        }
        entry.lastOutboundAt = this.#clock.now();
        return { runId: params.idempotencyKey, channel: channelId, ...delivered };
      },
      // A failure that may have reached the network is replayed, never retried: the retry could
      // deliver a second copy. Failures before anything was sent leave the key free.
      { cacheError: (err) => err instanceof ChannelSendError && err.deliveryUnknown },
    );
  }

  /** `channels.status`: every channel with at least one account, with per-account snapshots. */
  status(): ChannelsStatusResult {
    const result: ChannelsStatusResult = {
      ts: this.#clock.now(),
      channelOrder: [],
      channelLabels: {},
      channels: {},
      channelAccounts: {},
      channelDefaultAccountId: {},
    };
    for (const [id, def] of this.#definitions) {
      const accounts = this.#accounts.get(id);
      if (!accounts?.size) continue;
      const snapshots = [...accounts.values()].map((entry) => this.#snapshot(entry));
      result.channelOrder.push(id);
      result.channelLabels[id] = def.label;
      result.channelAccounts[id] = snapshots;
      result.channels[id] = summarize(snapshots);
      result.channelDefaultAccountId[id] = defaultEntry(accounts)!.accountId;
    }
    return result;
  }

  /** `channels.logout`: ends the session and clears credentials of one account. */
  async logout(channelId: string, accountId?: string): Promise<{ channel: string; accountId: string; cleared: boolean; loggedOut: boolean }> {
    if (!this.#definitions.has(channelId)) throw invalidRequest(`unsupported channel: ${channelId}`);
    const entry = this.#entry(channelId, accountId);
    if (!entry?.channel) throw invalidRequest(`${channelId} account ${accountId ?? DEFAULT_ACCOUNT_ID} is not running`);
    if (!entry.channel.logout) throw invalidRequest(`${channelId} does not support logout`);
    const result = await entry.channel.logout();
    this.#announce();
    return { channel: channelId, accountId: entry.accountId, ...result };
  }

  /**
   * The QR login of a device-linked channel (`web.login.*`, WhatsApp). A channel that allows it
   * gets its default account created on demand, so a fresh gateway can be linked.
   */
  async login(channelId: string, accountId?: string): Promise<ChannelLogin> {
    const def = this.#definitions.get(channelId);
    if (!def) throw invalidRequest(`unsupported channel: ${channelId}`);
    let entry = this.#entry(channelId, accountId);
    if (!entry && def.loginCreatesAccount && (accountId ?? DEFAULT_ACCOUNT_ID) === DEFAULT_ACCOUNT_ID && this.#state === 'running') {
      await this.#serial(channelId, async () => {
        if (this.#entry(channelId, accountId)) return;
        const section = this.#sections[channelId];
        if (section?.enabled === false) return;
        const [resolved] = resolveChannelAccounts(section ?? {});
        await this.#startEntry(channelId, resolved!.accountId, resolved!.config, resolved!.fingerprint, true);
      });
      entry = this.#entry(channelId, accountId);
    }
    if (!entry) throw invalidRequest(`${channelId} account ${accountId ?? DEFAULT_ACCOUNT_ID} is not configured`);
    if (!entry.channel) throw new GatewayError('UNAVAILABLE', `${channelId} account ${entry.accountId} is not running: ${entry.startError ?? 'disabled'}`);
    if (!entry.channel.login) throw invalidRequest(`${channelId} has no QR login`);
    return entry.channel.login;
  }

  #sendTarget(channelId: string, accountId: string | undefined): AccountEntry {
    const def = this.#definitions.get(channelId)!;
    const accounts = this.#accounts.get(channelId);
    if (!accounts?.size) {
      if (def.loginCreatesAccount) {
        throw new GatewayError('NOT_LINKED', `${def.label} is not linked; run openclaw channels login --channel ${channelId}`);
      }
      throw new GatewayError('UNAVAILABLE', `${def.label} is not configured (see channels.${channelId} in the config)`);
    }
    const entry = accountId ? accounts.get(accountId) : defaultEntry(accounts);
    if (!entry) throw invalidRequest(`unknown ${channelId} account: ${accountId}`);
    if (!entry.enabled) throw new GatewayError('UNAVAILABLE', `${channelId} account ${entry.accountId} is disabled`);
    if (!entry.channel) {
      throw new GatewayError('UNAVAILABLE', `${channelId} account ${entry.accountId} is not running: ${entry.startError ?? 'starting'}`);
    }
    return entry;
  }

  #entry(channelId: string, accountId: string | undefined): AccountEntry | undefined {
    const accounts = this.#accounts.get(channelId);
    if (!accounts) return undefined;
    return accountId ? accounts.get(accountId) : defaultEntry(accounts);
  }

  /** Brings the running accounts of one channel in line with its current section. */
  async #apply(channelId: string): Promise<void> {
    const def = this.#definitions.get(channelId)!;
    let section = this.#sections[channelId];
    if (!section && (await def.autoEnable?.({ channelId, accountId: DEFAULT_ACCOUNT_ID, env: this.#env, stateDir: this.#stateDir }))) section = {};
    let desired: ResolvedChannelAccount[];
    try {
      desired = resolveChannelAccounts(section);
    } catch (err) {
      this.#logger.log('error', `channels/${channelId}`, (err as Error).message);
      desired = [];
    }
    const accounts = this.#accounts.get(channelId) ?? new Map<string, AccountEntry>();
    this.#accounts.set(channelId, accounts);
    for (const entry of [...accounts.values()]) {
      const next = desired.find((d) => d.accountId === entry.accountId);
      if (next && next.enabled === entry.enabled && next.fingerprint === entry.fingerprint && (entry.channel || !entry.enabled)) continue;
      await this.#stopEntry(entry);
      accounts.delete(entry.accountId);
    }
    for (const next of desired) {
      const existing = accounts.get(next.accountId);
      if (existing) {
        existing.config = next.config;
        existing.policy = accountPolicy(next.config, this.#mentionPatterns);
        continue;
      }
      await this.#startEntry(channelId, next.accountId, next.config, next.fingerprint, next.enabled);
    }
    if (accounts.size === 0) this.#accounts.delete(channelId);
  }

  async #startEntry(channelId: string, accountId: string, config: Record<string, unknown>, fingerprint: string, enabled: boolean): Promise<void> {
    const def = this.#definitions.get(channelId)!;
    const entry: AccountEntry = {
      channelId,
      accountId,
      enabled,
      config,
      policy: accountPolicy(config, this.#mentionPatterns),
      fingerprint,
      unsubscribe: [],
      lastInboundAt: null,
      lastOutboundAt: null,
    };
    let accounts = this.#accounts.get(channelId);
    if (!accounts) {
      accounts = new Map();
      this.#accounts.set(channelId, accounts);
    }
    accounts.set(accountId, entry);
    if (!enabled) return;
    const subsystem = `channels/${channelId}`;
    try {
      const channel = await def.create({
        channelId,
        accountId,
        config,
        stateDir: this.#stateDir,
        env: this.#env,
        logger: this.#logger,
        clock: this.#clock,
      });
      entry.channel = channel;
      entry.abort = new AbortController();
      entry.unsubscribe.push(
        channel.on('message', (message) => this.#onInbound(entry, channel, message)),
        channel.on('status', (snapshot) => {
          this.#emitter.emit('status', { channel: channelId, snapshot });
          this.#announce();
        }),
      );
      await channel.start(entry.abort.signal);
      this.#logger.log('info', subsystem, `account ${accountId} started`);
    } catch (err) {
      entry.startError = maskDigits((err as Error).message);
      this.#logger.log('error', subsystem, `account ${accountId} failed to start: ${entry.startError}`);
      await this.#stopEntry(entry);
    }
  }

  async #stopEntry(entry: AccountEntry): Promise<void> {
    for (const off of entry.unsubscribe.splice(0)) off();
    entry.abort?.abort();
    const channel = entry.channel;
    entry.channel = undefined;
    if (!channel) return;
    try {
      await channel.stop();
    } catch (err) {
      this.#logger.log('warn', `channels/${entry.channelId}`, `stopping account ${entry.accountId} failed: ${(err as Error).message}`);
    }
  }

  #onInbound(entry: AccountEntry, channel: Channel, message: InboundMessage): void {
    entry.lastInboundAt = this.#clock.now();
    this.#router.handle(channel, message).then(
      (outcome) => this.#emitter.emit('inbound', { message, outcome }),
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#logger.log('error', `channels/${entry.channelId}`, `inbound routing failed: ${maskDigits(error.message)}`);
        this.#emitter.emit('inbound', { message, outcome: { action: 'dropped', reason: `routing failed: ${error.message}` } });
      },
    );
  }

  #snapshot(entry: AccountEntry): ChannelAccountSnapshot {
    const base: ChannelAccountSnapshot = entry.channel
      ? entry.channel.status()
      : {
          accountId: entry.accountId,
          enabled: entry.enabled,
          configured: false,
          running: false,
          connected: false,
          lastError: entry.startError ?? null,
          lastMessageAt: null,
        };
    const lastInboundAt = latestTime(base.lastInboundAt, entry.lastInboundAt);
    const lastOutboundAt = latestTime(base.lastOutboundAt, entry.lastOutboundAt);
    const name = typeof entry.config.name === 'string' ? entry.config.name : undefined;
    return {
      ...base,
      ...(name ? { name } : {}),
      enabled: entry.enabled,
      lastInboundAt,
      lastOutboundAt,
      lastMessageAt: latestTime(base.lastMessageAt, latestTime(lastInboundAt, lastOutboundAt)),
      dmPolicy: entry.policy.dmPolicy,
      allowFrom: entry.policy.allowFrom,
    };
  }

  /** Refreshes (and broadcasts) `health` when some account's connection facts changed. */
  #announce(): void {
    let changed = false;
    for (const accounts of this.#accounts.values()) {
      for (const entry of accounts.values()) {
        const s = this.#snapshot(entry);
        const facts = JSON.stringify([s.configured, s.linked, s.running, s.connected, s.lastError]);
        if (facts !== entry.announced) {
          entry.announced = facts;
          changed = true;
        }
      }
    }
    if (changed) this.#gateway.refreshHealth(true);
  }

  #health(base: GatewayEventMap['health']): GatewayEventMap['health'] {
    const status = this.status();
    const channels = { ...base.channels };
    for (const id of status.channelOrder) {
      const summary = status.channels[id]!;
      const accounts = status.channelAccounts[id]!;
      const defaultId = status.channelDefaultAccountId[id]!;
      const primary = accounts.find((a) => a.accountId === defaultId);
      channels[id] = {
        accountId: defaultId,
        ...summary,
        ...(primary && primary.authAgeMs !== undefined ? { authAgeMs: primary.authAgeMs } : {}),
        accounts: Object.fromEntries(accounts.map((a) => [a.accountId, a])),
      };
    }
    return {
      ...base,
      channels,
      channelOrder: [...base.channelOrder, ...status.channelOrder.filter((id) => !base.channelOrder.includes(id))],
      channelLabels: { ...base.channelLabels, ...status.channelLabels },
    };
  }

  #serial<T>(channelId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(channelId) ?? Promise.resolve();
    const next = previous.then(op, op);
    this.#queues.set(channelId, next.catch(() => undefined));
    return next;
  }
}

function defaultEntry(accounts: Map<string, AccountEntry>): AccountEntry | undefined {
  return accounts.get(DEFAULT_ACCOUNT_ID) ?? accounts.values().next().value;
}

function summarize(snapshots: ChannelAccountSnapshot[]): ChannelSummary {
  const linked = snapshots.filter((s) => s.linked !== undefined);
  return {
    configured: snapshots.some((s) => s.configured),
    enabled: snapshots.some((s) => s.enabled),
    ...(linked.length ? { linked: linked.some((s) => s.linked) } : {}),
    running: snapshots.some((s) => s.running),
    connected: snapshots.some((s) => s.connected),
    lastError: snapshots.find((s) => s.lastError)?.lastError ?? null,
    lastMessageAt: snapshots.reduce<number | null>((acc, s) => latestTime(acc, s.lastMessageAt), null),
  };
}
