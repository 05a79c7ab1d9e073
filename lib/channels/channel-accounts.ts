import { join } from 'node:path';
import type { ChannelDmPolicy, ChannelGroupPolicy, ChannelGroups } from '../protocol/generated/config.js';

export const DEFAULT_ACCOUNT_ID = 'default';
const ACCOUNT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Keys that only steer inbound routing: changing them never restarts a connection. */
const POLICY_KEYS = new Set(['dmPolicy', 'allowFrom', 'groupPolicy', 'groups', 'groupAllowFrom', 'mentionPatterns', 'name']);

export interface ResolvedChannelAccount {
  accountId: string;
  enabled: boolean;
  /** `channels.<id>` without `accounts`, overlaid with `accounts.<accountId>`. */
  config: Record<string, unknown>;
  /** Changes exactly when the connection-relevant settings change. */
  fingerprint: string;
}

/** How one account treats inbound messages. */
export interface ChannelAccountPolicy {
  dmPolicy: ChannelDmPolicy;
  /** Normalised (see `normalizeSenderId`); `*` allows everyone. */
  allowFrom: string[];
  groupPolicy: ChannelGroupPolicy;
  groups: ChannelGroups;
  groupAllowFrom?: string[];
  mentionPatterns: RegExp[];
}

/**
 * The accounts of one `channels.<id>` section: the ids under `accounts`, or the single `default`
 * account when there are none. Each inherits the section's top-level settings.
 */
export function resolveChannelAccounts(section: Record<string, unknown> | undefined): ResolvedChannelAccount[] {
  if (!section) return [];
  const { accounts, ...base } = section;
  const overrides = isRecord(accounts) ? accounts : {};
  const ids = Object.keys(overrides).length ? Object.keys(overrides) : [DEFAULT_ACCOUNT_ID];
  return ids.map((accountId) => {
    if (!ACCOUNT_ID.test(accountId)) throw new TypeError(`invalid account id ${JSON.stringify(accountId)}: use lower-case letters, digits, - and _`);
    const own = overrides[accountId];
    const config = { ...base, ...(isRecord(own) ? own : {}) };
    return {
      accountId,
      enabled: base.enabled !== false && config.enabled !== false,
      config,
      fingerprint: fingerprintOf(config),
    };
  });
}

/** Where a channel account keeps its credentials: `<state>/credentials/<channel>/<accountId>`. */
export function channelCredentialsDir(stateDir: string, channelId: string, accountId: string): string {
  return join(stateDir, 'credentials', channelId, accountId);
}

/**
 * How an account treats inbound messages. Mention patterns: the account's own list (the old
 * dialect's `channels.<id>.mentionPatterns` array), else `messages.groupChat.mentionPatterns`.
 */
export function accountPolicy(config: Record<string, unknown>, globalMentionPatterns: readonly string[] = []): ChannelAccountPolicy {
  const list = (value: unknown) => (Array.isArray(value) ? value.map((v) => normalizeSenderId(String(v))).filter(Boolean) : undefined);
  const patterns: RegExp[] = [];
  for (const source of Array.isArray(config.mentionPatterns) ? config.mentionPatterns : globalMentionPatterns) {
    try {
      patterns.push(new RegExp(String(source), 'i'));
    } catch {
      // An invalid pattern matches nothing rather than taking the channel down.
    }
  }
  return {
    dmPolicy: (config.dmPolicy as ChannelDmPolicy | undefined) ?? 'pairing',
    allowFrom: list(config.allowFrom) ?? [],
    groupPolicy: (config.groupPolicy as ChannelGroupPolicy | undefined) ?? 'open',
    groups: isRecord(config.groups) ? (config.groups as ChannelGroups) : {},
    groupAllowFrom: list(config.groupAllowFrom),
    mentionPatterns: patterns,
  };
}

/**
 * One spelling per sender for allow-list matching: `@Alice`, `alice` and `telegram:alice` are the
 * same, as are `+1 555-123-4567` and `15551234567`.
 */
export function normalizeSenderId(id: string): string {
  let out = id.trim().toLowerCase().replace(/^(?:telegram|tg|whatsapp|wa):/, '');
  if (/^\+?[\d\s().-]+$/.test(out)) out = out.replace(/\D/g, '');
  return out.replace(/^@/, '');
}

export function senderAllowed(allow: readonly string[], ids: readonly string[]): boolean {
  if (allow.includes('*')) return true;
  return ids.some((id) => allow.includes(normalizeSenderId(id)));
}

function fingerprintOf(config: Record<string, unknown>): string {
  const relevant = Object.keys(config)
    .filter((key) => !POLICY_KEYS.has(key))
    .sort()
    .map((key) => [key, config[key]]);
  return JSON.stringify(relevant);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
