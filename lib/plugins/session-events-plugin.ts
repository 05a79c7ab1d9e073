import type { AgentService } from '../agents/agent-service.js';
import { invalidRequest } from '../errors.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import type { SessionMessageEvent, SessionsChangedEvent } from '../protocol/generated/types.js';
import { agentsService } from '../services.js';
import type { SessionStoreChange } from '../sessions/session-store.js';

/**
 * Protocol 4's live session feeds: `sessions.subscribe` (every row change, as `sessions.changed`)
 * and `sessions.messages.subscribe` (each transcript row of one session once it is on disk, as
 * `session.message` with its place in the transcript). Subscriptions belong to a connection and
 * end with it. Needs `agentsPlugin` before it.
 */
export function sessionEventsPlugin(): GatewayPlugin {
  let offs: Array<() => void> = [];
  return {
    name: 'session-events',
    setup(gateway) {
      const service = gateway.service(agentsService);
      const feeds = new SessionFeeds(gateway, service);
      offs = [
        gateway.registerMethod('sessions.subscribe', (_params, ctx) => {
          feeds.rows.add(connectionOf(ctx.session?.connId));
          return { subscribed: true as const };
        }),
        gateway.registerMethod('sessions.messages.subscribe', (params, ctx) => {
          const connId = connectionOf(ctx.session?.connId);
          const key = feeds.subscribe(connId, params.key, params.agentId);
          return { key, subscribed: true };
        }),
        gateway.registerMethod('sessions.messages.unsubscribe', (params, ctx) => {
          const connId = connectionOf(ctx.session?.connId);
          return { key: feeds.unsubscribe(connId, params.key, params.agentId), subscribed: false };
        }),
        gateway.on('client-disconnected', ({ session }) => feeds.forget(session.connId)),
        service.sessions.onChange((change) => feeds.publish(change)),
      ];
    },
    stop() {
      for (const off of offs.splice(0)) off();
    },
  };
}

/** Transcript feeds one connection may hold at once: a UI watches a few sessions, not thousands. */
export const MAX_MESSAGE_SUBSCRIPTIONS = 256;

function connectionOf(connId: string | undefined): string {
  if (connId === undefined) throw invalidRequest('subscriptions belong to a client connection');
  return connId;
}

class SessionFeeds {
  /** Connections that asked for every session row change. */
  readonly rows = new Set<string>();
  /** Connections per `agentId\0key` that asked for that session's transcript rows. */
  readonly #messages = new Map<string, Set<string>>();
  /** How many transcript feeds each connection holds. */
  readonly #perConnection = new Map<string, number>();

  constructor(
    private readonly gateway: GatewayHost,
    private readonly service: AgentService,
  ) {}

  subscribe(connId: string, rawKey: string, agentId: string | undefined): string {
    const target = this.service.chatTarget(rawKey, agentId);
    const feed = feedKey(target.agentId, target.sessionKey);
    let conns = this.#messages.get(feed);
    if (conns?.has(connId)) return target.sessionKey;
    const held = this.#perConnection.get(connId) ?? 0;
    if (held >= MAX_MESSAGE_SUBSCRIPTIONS) throw invalidRequest(`at most ${MAX_MESSAGE_SUBSCRIPTIONS} session message subscriptions per connection`);
    if (!conns) this.#messages.set(feed, (conns = new Set()));
    conns.add(connId);
    this.#perConnection.set(connId, held + 1);
    return target.sessionKey;
  }

  unsubscribe(connId: string, rawKey: string, agentId: string | undefined): string {
    const target = this.service.chatTarget(rawKey, agentId);
    const feed = feedKey(target.agentId, target.sessionKey);
    const conns = this.#messages.get(feed);
    if (conns?.delete(connId)) this.#perConnection.set(connId, (this.#perConnection.get(connId) ?? 1) - 1);
    if (conns?.size === 0) this.#messages.delete(feed);
    return target.sessionKey;
  }

  forget(connId: string): void {
    this.rows.delete(connId);
    this.#perConnection.delete(connId);
    for (const [feed, conns] of this.#messages) {
      conns.delete(connId);
      if (conns.size === 0) this.#messages.delete(feed);
    }
  }

  publish(change: SessionStoreChange): void {
    if (change.type === 'message') {
      const conns = this.#messages.get(feedKey(change.agentId, change.key));
      if (!conns) return;
      const payload: SessionMessageEvent = {
        sessionKey: change.key,
        agentId: change.agentId,
        message: change.line.message as unknown as SessionMessageEvent['message'],
        messageId: change.line.id,
        messageSeq: change.seq,
        ...(change.line.runId ? { runId: change.line.runId } : {}),
      };
      for (const connId of conns) this.gateway.sendEvent(connId, 'session.message', payload);
      return;
    }
    if (this.rows.size === 0) return;
    const { agentId, key, entry, previous } = change;
    const base = { sessionKey: key, agentId, ts: this.gateway.clock.now() };
    const payload: SessionsChangedEvent = entry
      ? { ...this.service.row(agentId, key, entry), ...base, reason: !previous ? 'new' : previous.sessionId !== entry.sessionId ? 'reset' : 'update' }
      : { ...base, reason: 'delete' };
    for (const connId of this.rows) this.gateway.sendEvent(connId, 'sessions.changed', payload);
  }
}

/** Session keys such as `global` are per agent: a feed is one agent's session. */
function feedKey(agentId: string, key: string): string {
  return `${agentId}\0${key}`;
}
