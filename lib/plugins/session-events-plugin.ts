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

function connectionOf(connId: string | undefined): string {
  if (connId === undefined) throw invalidRequest('subscriptions belong to a client connection');
  return connId;
}

class SessionFeeds {
  /** Connections that asked for every session row change. */
  readonly rows = new Set<string>();
  /** Connections per canonical session key that asked for its transcript rows. */
  readonly #messages = new Map<string, Set<string>>();

  constructor(
    private readonly gateway: GatewayHost,
    private readonly service: AgentService,
  ) {}

  subscribe(connId: string, rawKey: string, agentId: string | undefined): string {
    const key = this.#canonical(rawKey, agentId);
    let conns = this.#messages.get(key);
    if (!conns) this.#messages.set(key, (conns = new Set()));
    conns.add(connId);
    return key;
  }

  unsubscribe(connId: string, rawKey: string, agentId: string | undefined): string {
    const key = this.#canonical(rawKey, agentId);
    const conns = this.#messages.get(key);
    conns?.delete(connId);
    if (conns?.size === 0) this.#messages.delete(key);
    return key;
  }

  forget(connId: string): void {
    this.rows.delete(connId);
    for (const [key, conns] of this.#messages) {
      conns.delete(connId);
      if (conns.size === 0) this.#messages.delete(key);
    }
  }

  publish(change: SessionStoreChange): void {
    if (change.type === 'message') {
      const conns = this.#messages.get(change.key);
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

  /** The store key a client's session key names. */
  #canonical(rawKey: string, agentId: string | undefined): string {
    return this.service.chatTarget(rawKey, agentId).sessionKey;
  }
}
