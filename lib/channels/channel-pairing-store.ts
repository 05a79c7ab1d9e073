import { randomInt } from 'node:crypto';
import { invalidRequest } from '../errors.js';
import { PairingState, stripUndefined } from '../pairing-state.js';
import type { Storage } from '../storage.js';

/** A sender who wrote to the bot, was not allowed, and got a code to pass to an operator. */
export interface ChannelPairingRequest {
  channel: string;
  code: string;
  senderId: string;
  senderName?: string;
  accountId?: string;
  chatId?: string;
  /** When the code was issued; it expires `ttlMs` later. */
  ts: number;
}

/** A sender an operator approved. */
export interface ChannelAllowEntry {
  senderId: string;
  senderName?: string;
  code?: string;
  approvedAtMs: number;
}

export interface ChannelPairingStoreOptions {
  storage: Storage;
  now?: () => number;
  /** How long a code stays valid (default one hour). */
  ttlMs?: number;
  /** Unanswered codes per channel; senders beyond this get none until some expire (default 10). */
  maxPending?: number;
}

export interface ChannelPairingList {
  channel: string;
  pending: ChannelPairingRequest[];
  allowed: ChannelAllowEntry[];
}

/** How long a code stays valid, and how many unanswered codes a channel holds, unless configured. */
const CHANNEL_PAIRING_DEFAULTS = { ttlMs: 60 * 60_000, maxPending: 10 } as const;

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;
const CHANNEL_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * DM pairing for messaging channels: pending codes in `credentials/<channel>-pairing.json` and
 * approved senders in `credentials/<channel>-allowFrom.json`, both written atomically. Every
 * operation re-reads the files first, so `openclaw pairing approve` run while the gateway is up
 * takes effect on the sender's next message.
 */
export class ChannelPairingStore {
  readonly #options: ChannelPairingStoreOptions;
  readonly #now: () => number;
  readonly #states = new Map<string, PairingState<ChannelPairingRequest, ChannelAllowEntry>>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ChannelPairingStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get ttlMs(): number {
    return this.#options.ttlMs ?? CHANNEL_PAIRING_DEFAULTS.ttlMs;
  }

  get maxPending(): number {
    return this.#options.maxPending ?? CHANNEL_PAIRING_DEFAULTS.maxPending;
  }

  /** The sender's live code, or a new one; `undefined` when the channel has too many open codes. */
  request(
    channel: string,
    sender: { senderId: string; senderName?: string; accountId?: string; chatId?: string },
  ): Promise<{ request: ChannelPairingRequest; created: boolean } | undefined> {
    return this.#serial(channel, (state) =>
      state.mutate(({ pending }) => {
        const existing = Object.values(pending).find((r) => r.senderId === sender.senderId);
        if (existing) return { request: existing, created: false };
        if (Object.keys(pending).length >= this.maxPending) return undefined;
        let code = newCode();
        while (pending[code]) code = newCode();
        const request: ChannelPairingRequest = stripUndefined({ channel, code, ...sender, ts: this.#now() });
        pending[code] = request;
        return { request, created: true };
      }),
    );
  }

  /** Whether any of the sender's ids was approved. */
  isAllowed(channel: string, senderIds: readonly string[]): Promise<boolean> {
    return this.#serial(channel, (state) => senderIds.some((id) => Object.hasOwn(state.paired, id)));
  }

  /** Allows the sender behind `code`; with `accountId`, only a code that account issued. */
  approve(channel: string, code: string, accountId?: string): Promise<{ request: ChannelPairingRequest; entry: ChannelAllowEntry }> {
    const wanted = code.trim().toUpperCase();
    return this.#serial(channel, (state) =>
      state.mutate(({ pending, paired }) => {
        const request = takePending(pending, channel, wanted, accountId);
        const entry: ChannelAllowEntry = stripUndefined({
          senderId: request.senderId,
          senderName: request.senderName,
          code: wanted,
          approvedAtMs: this.#now(),
        });
        paired[request.senderId] = entry;
        return { request, entry };
      }),
    );
  }

  /** Drops the code without allowing the sender; their next message gets a new one. */
  dismiss(channel: string, code: string, accountId?: string): Promise<ChannelPairingRequest> {
    const wanted = code.trim().toUpperCase();
    return this.#serial(channel, (state) => state.mutate(({ pending }) => takePending(pending, channel, wanted, accountId)));
  }

  list(channel: string): Promise<ChannelPairingList> {
    return this.#serial(channel, (state) => ({
      channel,
      pending: state.livePending(),
      allowed: Object.values(state.paired).sort((a, b) => b.approvedAtMs - a.approvedAtMs),
    }));
  }

  /** Runs after every earlier operation of this store, on freshly read state. */
  #serial<T>(channel: string, op: (state: PairingState<ChannelPairingRequest, ChannelAllowEntry>) => T | Promise<T>): Promise<T> {
    if (!CHANNEL_ID.test(channel)) return Promise.reject(invalidRequest(`invalid channel id: ${channel}`));
    const run = async () => {
      const state = this.#state(channel);
      await state.load();
      return op(state);
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #state(channel: string): PairingState<ChannelPairingRequest, ChannelAllowEntry> {
    let state = this.#states.get(channel);
    if (!state) {
      state = new PairingState({
        storage: this.#options.storage,
        now: this.#now,
        pendingKey: `credentials/${channel}-pairing.json`,
        pairedKey: `credentials/${channel}-allowFrom.json`,
        label: `${channel} pairing`,
        ttlMs: this.ttlMs,
      });
      this.#states.set(channel, state);
    }
    return state;
  }
}

function takePending(pending: Record<string, ChannelPairingRequest>, channel: string, code: string, accountId: string | undefined): ChannelPairingRequest {
  const request = pending[code];
  if (!request) throw invalidRequest(`unknown or expired pairing code for ${channel}: ${code}`);
  if (accountId !== undefined && request.accountId !== undefined && request.accountId !== accountId) {
    throw invalidRequest(`pairing code ${code} was issued by ${channel} account ${request.accountId}, not ${accountId}`);
  }
  delete pending[code];
  return request;
}

function newCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}
