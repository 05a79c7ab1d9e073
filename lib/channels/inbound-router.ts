import type { InboundMessage, OutboundMessage } from '../channel.js';
import type { Logger } from '../logger.js';
import type { AgentParams, AgentReplyPayload } from '../protocol/generated/types.js';
import { channelSessionKey } from '../sessions/session-keys.js';
import { normalizeSenderId, senderAllowed, type ChannelAccountPolicy } from './channel-accounts.js';
import type { ChannelPairingStore } from './channel-pairing-store.js';
import { maskDigits } from './redact.js';

/** Runs one agent turn and returns what to say back (`agent` final `result.payloads`). */
export type ChannelAgentRunner = (params: AgentParams) => Promise<AgentReplyPayload[]>;

export type InboundOutcome =
  | { action: 'replied'; sessionKey: string; runId: string; parts: number }
  | { action: 'pairing'; code: string; created: boolean }
  | { action: 'dropped'; reason: string }
  | { action: 'failed'; sessionKey: string; runId: string; error: string };

export interface InboundRouterOptions {
  pairing: ChannelPairingStore;
  runAgent: ChannelAgentRunner;
  /**
   * Sends a reply back through the message's account (the outbox); `key` is the same for the same
   * reply part of the same message, so a replayed message does not answer twice.
   */
  send: (message: InboundMessage, reply: OutboundMessage, key: string) => Promise<unknown>;
  agentId: () => string;
  /** The account's current policy; read per message so config reloads apply at once. */
  policyFor: (channel: string, accountId: string) => ChannelAccountPolicy | undefined;
  logger: Logger;
  now: () => number;
}

const DEDUPE_TTL_MS = 10 * 60_000;
const DEDUPE_MAX = 2000;

/**
 * Decides what happens to an inbound message: the DM policy (allow list, open, pairing codes),
 * group gating (allowed groups, mentions), then one agent run per message in the sender's (or
 * group's) session, one at a time per session, with the reply sent back to the same chat.
 */
export class InboundRouter {
  readonly #options: InboundRouterOptions;
  /** Per session: the tail of its run queue. */
  readonly #lanes = new Map<string, Promise<unknown>>();
  /** Message keys seen recently; networks redeliver after reconnects. */
  readonly #seen = new Map<string, number>();

  constructor(options: InboundRouterOptions) {
    this.#options = options;
  }

  /** `runId` defaults to the message's key; a replay after a crash passes its own. */
  async handle(message: InboundMessage, runId = inboundKey(message)): Promise<InboundOutcome> {
    if (this.#isDuplicate(inboundKey(message))) return { action: 'dropped', reason: 'duplicate' };
    const policy = this.#options.policyFor(message.channel, message.accountId);
    if (!policy) return { action: 'dropped', reason: 'account not configured' };
    if (!message.text.trim()) return { action: 'dropped', reason: 'empty message' };
    const ids = [message.senderId, ...(message.senderAliases ?? [])];

    if (message.chatType === 'group') {
      const refusal = groupRefusal(policy, message, ids);
      if (refusal) return this.#drop(message, refusal);
    } else if (policy.dmPolicy === 'disabled') {
      return this.#drop(message, 'direct messages are disabled (dmPolicy "disabled")');
    } else if (policy.dmPolicy !== 'open' && !senderAllowed(policy.allowFrom, ids)) {
      const paired = await this.#options.pairing.isAllowed(message.channel, ids);
      if (!paired) {
        if (policy.dmPolicy === 'allowlist') return this.#drop(message, 'sender not in allowFrom');
        return this.#pair(message);
      }
    }
    return this.#enqueue(message, runId);
  }

  #enqueue(message: InboundMessage, runId: string): Promise<InboundOutcome> {
    const sessionKey = sessionKeyFor(this.#options.agentId(), message);
    const previous = this.#lanes.get(sessionKey) ?? Promise.resolve();
    const run = previous.then(() => this.#run(message, sessionKey, runId));
    // The caller sees a failed run through `run`; the lane only needs it finished.
    const settled = () => {
      if (this.#lanes.get(sessionKey) === tail) this.#lanes.delete(sessionKey);
    };
    const tail: Promise<void> = run.then(settled, settled);
    this.#lanes.set(sessionKey, tail);
    return run;
  }

  async #run(message: InboundMessage, sessionKey: string, runId: string): Promise<InboundOutcome> {
    const { logger } = this.#options;
    const group = message.chatType === 'group';
    const text = group ? `[${message.senderName ?? message.senderId}] ${message.text}` : message.text;
    let payloads: AgentReplyPayload[];
    try {
      payloads = await this.#options.runAgent({
        message: text,
        idempotencyKey: runId,
        agentId: this.#options.agentId(),
        sessionKey,
        channel: message.channel,
        accountId: message.accountId,
        to: message.chatId,
        deliver: false,
        ...(group ? { groupId: message.chatId } : {}),
        ...(message.threadId ? { threadId: message.threadId } : {}),
      });
    } catch (err) {
      const error = (err as Error).message;
      logger.log('warn', `channels/${message.channel}`, `agent run failed: ${maskDigits(error)}`, { sessionKey: maskDigits(sessionKey) });
      return { action: 'failed', sessionKey, runId, error };
    }
    let parts = 0;
    try {
      for (const payload of payloads) {
        const media = [...(payload.mediaUrl ? [payload.mediaUrl] : []), ...(payload.mediaUrls ?? [])];
        if (!payload.text.trim() && media.length === 0) continue;
        const reply: OutboundMessage = {
          to: message.chatId,
          text: payload.text,
          ...(media.length ? { mediaUrls: media } : {}),
          ...(parts === 0 ? { replyTo: message.messageId } : {}),
          ...(message.threadId ? { threadId: message.threadId } : {}),
        };
        await this.#options.send(message, reply, `${inboundKey(message)}:reply:${parts}`);
        parts++;
      }
    } catch (err) {
      const error = (err as Error).message;
      logger.log('warn', `channels/${message.channel}`, `reply delivery failed: ${maskDigits(error)}`, { sessionKey: maskDigits(sessionKey) });
      return { action: 'failed', sessionKey, runId, error };
    }
    return { action: 'replied', sessionKey, runId, parts };
  }

  async #pair(message: InboundMessage): Promise<InboundOutcome> {
    const issued = await this.#options.pairing.request(message.channel, {
      senderId: message.senderId,
      senderName: message.senderName,
      accountId: message.accountId,
      chatId: message.chatId,
    });
    if (!issued) return this.#drop(message, 'too many pending pairing codes');
    const { request, created } = issued;
    // The code goes out once; repeating it on every message would let a stranger spam the chat.
    if (created) {
      this.#options.logger.log('info', `channels/${message.channel}`, `pairing code issued to sender ${maskDigits(message.senderId)}`, {
        code: request.code,
      });
      await this.#options.send(message, { to: message.chatId, text: pairingText(message, request.code) }, `${inboundKey(message)}:pairing`);
    }
    return { action: 'pairing', code: request.code, created };
  }

  #drop(message: InboundMessage, reason: string): InboundOutcome {
    this.#options.logger.log('debug', `channels/${message.channel}`, `inbound message dropped: ${reason}`, {
      account: message.accountId,
      sender: maskDigits(message.senderId),
    });
    return { action: 'dropped', reason };
  }

  #isDuplicate(key: string): boolean {
    const now = this.#options.now();
    for (const [k, ts] of this.#seen) {
      if (ts >= now - DEDUPE_TTL_MS && this.#seen.size <= DEDUPE_MAX) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(key)) return true;
    this.#seen.set(key, now);
    return false;
  }
}

/** The key a message is known by: deduplication, the inbound journal, its replies' outbox keys. */
export function inboundKey(message: InboundMessage): string {
  return `${message.channel}:${message.accountId}:${message.chatId}:${message.messageId}`;
}

/** Each sender gets a session per channel (`agent:<id>:<channel>:dm:<sender>`), each group its own. */
export function sessionKeyFor(agentId: string, message: InboundMessage): string {
  const group = message.chatType === 'group';
  return channelSessionKey({
    agentId,
    channel: message.channel,
    ...(group ? { groupId: message.chatId } : { to: message.senderId }),
    dmScope: 'per-channel-peer',
  });
}

function groupRefusal(policy: ChannelAccountPolicy, message: InboundMessage, ids: string[]): string | undefined {
  if (policy.groupPolicy === 'disabled') return 'groups disabled';
  const own = policy.groups[message.chatId];
  const settings = own ?? policy.groups['*'];
  if (policy.groupPolicy === 'allowlist' && !settings) return 'group not in groups';
  if (settings?.enabled === false) return 'group disabled';
  const allow = settings?.allowFrom ? settings.allowFrom.map((v) => normalizeSenderId(String(v))) : policy.groupAllowFrom;
  if (allow && !senderAllowed(allow, ids)) return 'sender not in group allowFrom';
  const mentioned = message.mentioned || policy.mentionPatterns.some((re) => re.test(message.text));
  if ((settings?.requireMention ?? true) && !mentioned) return 'not mentioned';
  return undefined;
}

function pairingText(message: InboundMessage, code: string): string {
  return [
    'OpenClaw: this chat is not allowed to talk to the agent yet.',
    '',
    `Your ${message.channel} id: ${message.senderId}`,
    `Pairing code: ${code}`,
    '',
    'Ask the owner to approve it with:',
    `openclaw pairing approve ${message.channel} ${code}`,
  ].join('\n');
}
