import { randomUUID } from 'node:crypto';
import { invalidRequest } from '../errors.js';

/** The main session of every agent is `agent:<agentId>:main`. */
export const MAIN_KEY = 'main';

const AGENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export type SessionKind = 'direct' | 'group' | 'global' | 'unknown';

/** Agent ids are case-insensitive and end up in paths: lowercase, letters, digits, `_`, `-`. */
export function normalizeAgentId(id: string): string {
  const normalized = id.trim().toLowerCase();
  if (!AGENT_ID.test(normalized)) throw invalidRequest(`invalid agent id "${id}" (letters, digits, "_" and "-", at most 64)`);
  return normalized;
}

/** Session ids name transcript files, so only path-safe ids are accepted. */
export function checkSessionId(id: string): string {
  if (!SESSION_ID.test(id)) throw invalidRequest(`invalid sessionId "${id}" (letters, digits, ".", "_" and "-", at most 128)`);
  return id;
}

export function mainSessionKey(agentId: string): string {
  return `agent:${agentId}:${MAIN_KEY}`;
}

/** `agent:<agentId>:<rest>` split into its parts; undefined for keys of another shape. */
export function parseAgentSessionKey(key: string): { agentId: string; rest: string } | undefined {
  const match = /^agent:([^:]+):(.+)$/i.exec(key);
  return match ? { agentId: match[1]!.toLowerCase(), rest: match[2]! } : undefined;
}

/**
 * The stored form of a session key, as upstream uses them: `main` is the agent's main session,
 * `agent:<id>:…` keeps its own agent, `global`/`unknown` stay as they are, and any other key
 * (`hook:<uuid>`, `openai-user:bob`) is scoped to the agent: `agent:<agentId>:<key>`.
 */
export function canonicalSessionKey(key: string, agentId: string): string {
  const trimmed = key.trim();
  if (!trimmed) throw invalidRequest('sessionKey must not be empty');
  const parsed = parseAgentSessionKey(trimmed);
  if (parsed) return `agent:${normalizeAgentId(parsed.agentId)}:${parsed.rest}`;
  if (trimmed === 'global' || trimmed === 'unknown') return trimmed;
  if (trimmed.toLowerCase() === MAIN_KEY) return mainSessionKey(agentId);
  return `agent:${agentId}:${trimmed}`;
}

/** Where a stateless run's key comes from: `/v1/chat/completions`, `/v1/responses`, a hook without `sessionKey`. */
export type StatelessSource = 'openai' | 'openresponses' | 'hook';

const STATELESS_REST = /^(?:openai|openresponses|hook):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A fresh key for a run nobody can address again (`agent:<id>:openai:<uuid>`; without an agent,
 * `hook:<uuid>` for the `agent` method to scope). Session maintenance removes such sessions.
 */
export function statelessSessionKey(source: StatelessSource, agentId?: string, id: string = randomUUID()): string {
  return agentId === undefined ? `${source}:${id}` : `agent:${agentId}:${source}:${id}`;
}

/**
 * Whether a key is one `statelessSessionKey` made: the only sessions maintenance may remove.
 * Keys a caller chose (`openai-user:bob`, `hook:github`) never match, so they are kept.
 */
export function isStatelessSessionKey(key: string): boolean {
  return STATELESS_REST.test(parseAgentSessionKey(key)?.rest ?? key);
}

/** The agent a canonical key belongs to (`global`/`unknown` belong to the default agent). */
export function agentIdOfKey(key: string, defaultAgentId: string): string {
  return parseAgentSessionKey(key)?.agentId ?? defaultAgentId;
}

export function sessionKind(key: string): SessionKind {
  if (key === 'global') return 'global';
  if (key === 'unknown') return 'unknown';
  const rest = parseAgentSessionKey(key)?.rest ?? key;
  return /(^|:)(group|channel)(:|$)/.test(rest) ? 'group' : 'direct';
}

export type DmScope = 'main' | 'per-peer' | 'per-channel-peer';

export interface ChannelSessionInput {
  agentId: string;
  channel?: string;
  /** The peer (phone number, chat id) of a direct conversation. */
  to?: string;
  groupId?: string;
  /** `session.dmScope`: direct chats share the main session by default. */
  dmScope?: DmScope;
}

/**
 * Keys of channel conversations: groups get `agent:<id>:<channel>:group:<groupId>`; direct chats
 * use the main session, or `agent:<id>:dm:<peer>` / `agent:<id>:<channel>:dm:<peer>` per dmScope.
 */
export function channelSessionKey(input: ChannelSessionInput): string {
  const channel = (input.channel ?? 'unknown').toLowerCase();
  if (input.groupId) return `agent:${input.agentId}:${channel}:group:${input.groupId}`;
  const peer = input.to?.trim();
  if (!peer || !input.dmScope || input.dmScope === 'main') return mainSessionKey(input.agentId);
  return input.dmScope === 'per-peer' ? `agent:${input.agentId}:dm:${peer}` : `agent:${input.agentId}:${channel}:dm:${peer}`;
}
