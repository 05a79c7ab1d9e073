import type { Channel, ChannelDefinition, ChannelLogin, InboundMessage } from '../channel.js';
import { systemClock, type Clock } from '../clock.js';
import { GatewayError, invalidRequest } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { LeaseProvider } from '../lease.js';
import type { GatewayHost } from '../plugin.js';
import type {
  ChannelAccountSnapshot,
  ChannelsStatusResult,
  GatewayEventMap,
  SendParams,
  SendResult,
} from '../protocol/generated/types.js';
import { MemoryStorage, type Storage } from '../storage.js';
import { TypedEmitter } from '../typed-emitter.js';
import { latestTime, summarizeAccounts } from './account-state.js';
import {
  accountPolicy,
  DEFAULT_ACCOUNT_ID,
  resolveChannelAccounts,
  type ChannelAccountPolicy,
  type ResolvedChannelAccount,
} from './channel-accounts.js';
import { ChannelPairingStore } from './channel-pairing-store.js';
import { InboundJournal } from './inbound-journal.js';
import { InboundRouter, type ChannelAgentRunner, type InboundOutcome } from './inbound-router.js';
import { LeaseKeeper, type AccountLeaseOptions } from './lease-keeper.js';
import { OutboxDispatcher } from './outbox-dispatcher.js';
import { RecordOutboxStore, type OutboxStore } from './outbox-store.js';
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
  /** DM pairing codes and approved senders (`credentials/<channel>-*.json`), the outbox and inbound journal (`delivery/`); default memory. */
  storage?: Storage;
  /** Where DM pairing lives instead of `storage`: a cluster's shared store (the inbound journal stays per process). */
  pairingStorage?: Storage;
  stateDir?: string;
  logger?: Logger;
  clock?: Clock;
  /** Runs inbound messages through an agent; default `gateway.call('agent', …)`. */
  runAgent?: ChannelAgentRunner;
  /** Agent that answers channel messages (default: the gateway's default agent). */
  agentId?: string;
  /** How long, and for how many keys, settled sends are replayed (default 24 hours, 1000; docs/protocol.md, Idempotency). */
  sendCache?: { ttlMs?: number; maxEntries?: number };
  /**
   * Where every send is recorded before it goes out, so it is delivered once or reported failed
   * across restarts. Default: `delivery/outbox.jsonl` in `storage`; a cluster may share a database.
   */
  outbox?: OutboxStore;
  /** When a pending send is given up and reported failed (default after 5 tries or 24 hours). */
  outboxRetry?: { maxAttempts?: number; maxAgeMs?: number };
  /** On stop, how long messages being answered may take before they are left to the next start (default 0: at once). */
  drainTimeoutMs?: number;
  /**
   * One owner per account: each account connects only while this process holds the lease on
   * `<channel>-<account>`, so gateways sharing a state dir (or a cluster sharing a store) never
   * poll one bot or open one WhatsApp session twice. Default: none, the process is alone.
   */
  leases?: LeaseProvider;
  /** TTL and retry backoff of those leases. */
  leaseOptions?: AccountLeaseOptions;
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
  /** Holds the account's lease when the manager has `leases`; no channel exists without it. */
  keeper?: LeaseKeeper;
  /** The lease was lost: nothing may be sent through the channel still closing. */
  leaseLost?: boolean;
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
  readonly #outbox: OutboxDispatcher;
  /** Inbound messages from their arrival until answered (`delivery/inbound.jsonl`). */
  readonly #inbound: InboundJournal;
  readonly #drainTimeoutMs: number;
  readonly #leases?: LeaseProvider;
  readonly #leaseOptions?: AccountLeaseOptions;
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
    this.#leases = options.leases;
    this.#leaseOptions = options.leaseOptions;
    this.#emitter = new TypedEmitter<ChannelManagerEvents>((err) => this.#logger.log('error', 'channels', `listener failed: ${(err as Error).message}`));
    const now = () => this.#clock.now();
    const storage = options.storage ?? new MemoryStorage();
    this.pairing = new ChannelPairingStore({ storage: options.pairingStorage ?? storage, now });
    this.#outbox = new OutboxDispatcher({
      store: options.outbox ?? new RecordOutboxStore({ storage, now, retentionMs: options.sendCache?.ttlMs, maxSettled: options.sendCache?.maxEntries, logger: this.#logger }),
      target: (channelId, accountId) => {
        if (!this.#definitions.has(channelId)) throw invalidRequest(`unsupported channel: ${channelId}`);
        return this.#sendTarget(channelId, accountId).channel!;
      },
      // A cluster: sends for an account another instance owns go to it through the shared outbox.
      remote: (channelId, accountId) => {
        const entry = this.#entry(channelId, accountId);
        return entry?.enabled === true && entry.keeper !== undefined && !entry.keeper.lease;
      },
      fence: (channelId, accountId) => {
        const lease = this.#entry(channelId, accountId)?.keeper?.lease;
        return lease && { leaseKey: lease.key, fencingToken: lease.fencingToken };
      },
      onDelivered: (sent) => {
        const entry = this.#entry(sent.channel, sent.accountId);
        if (entry) entry.lastOutboundAt = this.#clock.now();
      },
      logger: this.#logger,
      clock: this.#clock,
      ...options.outboxRetry,
    });
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 0;
    const gateway = this.#gateway;
    this.#router = new InboundRouter({
      pairing: this.pairing,
      runAgent: options.runAgent ?? (async (params) => {
        const res = await gateway.call('agent', params);
        // A duplicate of a run still in flight is answered with its ack alone (docs/protocol.md, Idempotency).
        if (res.status !== 'ok') throw new GatewayError('UNAVAILABLE', `agent run ${res.runId} ended without a result`);
        return res.result.payloads;
      }),
      send: (message, reply, key) => this.#outbox.post({ key, runId: key, channel: message.channel, accountId: message.accountId, message: reply }),
      agentId: () => options.agentId ?? gateway.defaultAgentId,
      policyFor: (channel, accountId) => this.#accounts.get(channel)?.get(accountId)?.policy,
      logger: this.#logger,
      now,
    });
    this.#inbound = new InboundJournal({
      storage,
      route: (message, runId) => this.#router.handle(message, runId),
      onOutcome: (message, outcome) => this.#emitter.emit('inbound', { message, outcome }),
      logger: this.#logger,
      clock: this.#clock,
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
    // What the previous run left unfinished: its inbound messages, then its pending sends.
    await this.#inbound.replay();
    this.#outbox.flush();
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
    // Answers still being worked on may go out through the accounts before they close.
    await this.#inbound.drain(this.#drainTimeoutMs);
    // Sends under way get as long to record their outcome, so the next start does not repeat them.
    const sendsSettled = this.#outbox.close(this.#drainTimeoutMs);
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
    await sendsSettled;
  }

  /** `send`: recorded in the outbox, then delivered once per idempotency key (also across restarts); concurrent duplicates share one delivery. */
  send(params: SendParams): Promise<SendResult> {
    const channelId = (params.channel ?? 'whatsapp').trim().toLowerCase();
    if (!this.#definitions.has(channelId)) return Promise.reject(invalidRequest(`unsupported channel: ${params.channel}`));
    const mediaUrls = [...(params.mediaUrl ? [params.mediaUrl] : []), ...(params.mediaUrls ?? [])];
    if (!params.message.trim() && mediaUrls.length === 0) return Promise.reject(invalidRequest('message or media required'));
    return this.#outbox.send({
      key: `send:${params.idempotencyKey}`,
      runId: params.idempotencyKey,
      channel: channelId,
      ...(params.accountId ? { accountId: params.accountId } : {}),
      message: {
        to: params.to,
        text: params.message,
        ...(mediaUrls.length ? { mediaUrls } : {}),
        ...(params.gifPlayback ? { gifPlayback: true } : {}),
      },
    });
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
      result.channels[id] = summarizeAccounts(snapshots);
      result.channelDefaultAccountId[id] = defaultEntry(accounts)!.accountId;
    }
    return result;
  }

  /** `channels.logout`: ends the session and clears credentials of one account. */
  async logout(channelId: string, accountId?: string): Promise<{ channel: string; accountId: string; cleared: boolean; loggedOut: boolean }> {
    if (!this.#definitions.has(channelId)) throw invalidRequest(`unsupported channel: ${channelId}`);
    const entry = this.#entry(channelId, accountId);
    // Another process owns the session: logging out here would pull it from under that process.
    if (entry?.keeper?.waiting) throw this.#notRunning(entry, 'disabled');
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
    if (!entry.channel) throw this.#notRunning(entry, 'disabled');
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
    if (!entry.channel || entry.leaseLost) throw this.#notRunning(entry, entry.leaseLost ? 'its lease was lost' : 'starting');
    return entry;
  }

  /** An account without a running channel; retryable when it waits for its lease. */
  #notRunning(entry: AccountEntry, fallback: string): GatewayError {
    const keeper = entry.keeper;
    const waiting = keeper?.waiting ?? undefined;
    return new GatewayError('UNAVAILABLE', `${entry.channelId} account ${entry.accountId} is not running: ${waiting ?? entry.startError ?? fallback}`, {
      details: { channel: entry.channelId, accountId: entry.accountId },
      ...(waiting && keeper?.retryAt != null ? { retryable: true, retryAfterMs: Math.max(0, keeper.retryAt - this.#clock.now()) } : {}),
    });
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
    if (this.#leases) {
      entry.keeper = new LeaseKeeper({
        ...this.#leaseOptions,
        leases: this.#leases,
        key: `${channelId}-${accountId}`,
        clock: this.#clock,
        log: (level, message) => this.#logger.log(level, `channels/${channelId}`, `account ${accountId} ${message}`),
        onRetry: () => this.#reown(entry, false),
        onLost: () => this.#reown(entry, true),
      });
      if (!(await entry.keeper.acquire())) return;
    }
    await this.#openEntry(entry);
  }

  /** Builds the account's channel and starts it (connections come up in the background). */
  async #openEntry(entry: AccountEntry): Promise<void> {
    const { channelId, accountId, config } = entry;
    entry.leaseLost = false;
    const def = this.#definitions.get(channelId)!;
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
        channel.on('message', (message) => this.#onInbound(entry, message)),
        channel.on('status', (snapshot) => {
          this.#emitter.emit('status', { channel: channelId, snapshot });
          this.#announce();
          if (snapshot.connected) this.#outbox.flush(channelId);
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
    await this.#closeEntry(entry);
    // Only after the channel closed: the next owner must never overlap with this one.
    const keeper = entry.keeper;
    entry.keeper = undefined;
    await keeper?.release();
  }

  async #closeEntry(entry: AccountEntry): Promise<void> {
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

  /** Tries the lease again in the channel's queue; after a loss the account closes first. */
  #reown(entry: AccountEntry, lost: boolean): void {
    const keeper = entry.keeper;
    // Stop talking to the network at once; the rest waits for this channel's queue.
    if (lost) {
      entry.leaseLost = true;
      entry.abort?.abort();
    }
    this.#serial(entry.channelId, async () => {
      if (this.#state !== 'running' || !keeper || entry.keeper !== keeper || this.#entry(entry.channelId, entry.accountId) !== entry) return;
      if (lost) await this.#closeEntry(entry);
      if (await keeper.acquire()) await this.#openEntry(entry);
      this.#announce();
    }).catch((err: unknown) => this.#logger.log('error', `channels/${entry.channelId}`, `account ${entry.accountId}: ${(err as Error).message}`));
  }

  /** Resolves once the message is journaled (the channel acknowledges it then); the answer comes in the background. */
  #onInbound(entry: AccountEntry, message: InboundMessage): Promise<void> {
    entry.lastInboundAt = this.#clock.now();
    return this.#inbound.accept(message);
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
          lastError: entry.keeper?.waiting ?? entry.startError ?? null,
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
