import type { AgentService } from '../agents/agent-service.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import { agentsService } from '../services.js';
import { registerSessionEditMethods } from './session-edit-methods.js';
import { splitModelRef } from '../providers/model-ref.js';
import { withDigest, withDigests } from '../sessions/session-digest.js';

/** `sessions.list|describe|preview|patch|reset|delete` over the agents' session stores. Needs `agentsPlugin` before it. */
export function sessionsPlugin(): GatewayPlugin {
  return {
    name: 'sessions',
    setup(gateway) {
      const service = gateway.service(agentsService);
      registerSessionMethods(gateway, service);
      registerSessionEditMethods(gateway, service);
    },
  };
}

function registerSessionMethods(gateway: GatewayHost, service: AgentService): void {
  const { settings, sessions } = service;

  gateway.registerMethod('sessions.list', async (params) => {
    const ids = params.agentId ? [settings.require(params.agentId).id] : settings.ids();
    await Promise.all(ids.map((id) => sessions.load(id)));
    const now = gateway.clock.now();
    const search = params.search?.toLowerCase();
    let rows = ids.flatMap((id) => service.rows(id)).sort((a, b) => b.updatedAt - a.updatedAt);
    rows = rows.filter(
      (r) =>
        // Nothing is ever archived here.
        params.archived !== true &&
        (params.includeGlobal || r.kind !== 'global') &&
        (params.includeUnknown || r.kind !== 'unknown') &&
        (params.activeMinutes === undefined || now - r.updatedAt <= params.activeMinutes * 60_000) &&
        (params.label === undefined || r.label === params.label) &&
        (params.spawnedBy === undefined || r.spawnedBy === params.spawnedBy) &&
        (!search || r.key.toLowerCase().includes(search) || (r.label ?? '').toLowerCase().includes(search)),
    );
    const primary = ids.length === 1 ? ids[0]! : settings.defaultAgentId;
    const contextTokens = service.contextTokens(primary);
    const offset = params.offset ?? 0;
    const page = rows.slice(offset, params.limit === undefined ? undefined : offset + params.limit);
    const digest = { titles: params.includeDerivedTitles, lastMessage: params.includeLastMessage };
    const more = offset + page.length < rows.length;
    return {
      ts: now,
      path: sessions.indexPath(primary),
      count: page.length,
      defaults: { ...splitModelRef(settings.modelRef(primary)), contextTokens },
      sessions: await withDigests(service, page, digest),
      totalCount: rows.length,
      hasMore: more,
      ...(more ? { nextOffset: offset + page.length } : {}),
    };
  });

  gateway.registerMethod('sessions.describe', async (params) => {
    const { agentId, sessionKey } = service.chatTarget(params.key, params.agentId);
    const entry = await sessions.get(agentId, sessionKey);
    if (!entry) return { session: null };
    const row = service.row(agentId, sessionKey, entry);
    return { session: await withDigest(service, row, { titles: params.includeDerivedTitles, lastMessage: params.includeLastMessage }) };
  });
}
