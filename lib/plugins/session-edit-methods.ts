import { parseThinking, type AgentService } from '../agents/agent-service.js';
import { invalidRequest } from '../errors.js';
import type { GatewayHost } from '../plugin.js';
import type { SessionsPatchParams, SessionsPreviewResult } from '../protocol/generated/types.js';
import { textOf } from '../providers/model-provider.js';
import { clipText } from '../sessions/session-digest.js';
import { mainSessionKey } from '../sessions/session-keys.js';
import type { SessionEntry } from '../sessions/session-store.js';

type PatchField = Exclude<keyof SessionsPatchParams, 'key'>;

/** Patch fields and the session entry key each is kept under (`model` is the override, not the last run's). */
const PATCH_FIELDS: Record<PatchField, keyof SessionEntry> = {
  label: 'label',
  thinkingLevel: 'thinkingLevel',
  verboseLevel: 'verboseLevel',
  reasoningLevel: 'reasoningLevel',
  responseUsage: 'responseUsage',
  elevatedLevel: 'elevatedLevel',
  execHost: 'execHost',
  execSecurity: 'execSecurity',
  execAsk: 'execAsk',
  execNode: 'execNode',
  model: 'modelOverride',
  spawnedBy: 'spawnedBy',
  sendPolicy: 'sendPolicy',
  groupActivation: 'groupActivation',
};

const VERBOSE_LEVELS = ['on', 'off', 'full'];

/**
 * `sessions.patch|reset|delete|compact|preview` over the agents' session stores. Reset moves the key to a
 * new session id and keeps the old transcript; delete drops the row (the transcript stays unless
 * asked), and the main session cannot be deleted, only reset.
 */
export function registerSessionEditMethods(gateway: GatewayHost, service: AgentService): void {
  const { sessions, runner } = service;
  const row = (agentId: string, key: string, entry: SessionEntry) => service.row(agentId, key, entry);

  gateway.registerMethod('sessions.patch', async (params) => {
    const { agentId, sessionKey } = service.chatTarget(params.key);
    if (params.thinkingLevel) parseThinking(params.thinkingLevel);
    if (params.verboseLevel && !VERBOSE_LEVELS.includes(params.verboseLevel)) {
      throw invalidRequest(`invalid verboseLevel "${params.verboseLevel}" (expected ${VERBOSE_LEVELS.join(', ')})`);
    }
    // An unknown model is refused now rather than at the next run.
    if (params.model) runner.resolveModel(agentId, params.model);
    await sessions.ensure(agentId, sessionKey);
    const entry = await sessions.edit(agentId, sessionKey, (current) => {
      const next: Record<string, unknown> = { ...current };
      for (const [field, target] of Object.entries(PATCH_FIELDS) as [PatchField, keyof SessionEntry][]) {
        if (!(field in params)) continue;
        const value = params[field];
        if (value === null) delete next[target];
        else next[target] = field === 'thinkingLevel' ? parseThinking(value as string) : value;
      }
      return next as unknown as SessionEntry;
    });
    return { ok: true as const, key: sessionKey, entry: row(agentId, sessionKey, entry) };
  });

  gateway.registerMethod('sessions.reset', async (params) => {
    const { agentId, sessionKey } = await service.resolveTarget({ sessionKey: params.key, ...(params.agentId ? { agentId: params.agentId } : {}) });
    const entry = await service.resetSession(agentId, sessionKey);
    return { ok: true as const, key: sessionKey, entry: row(agentId, sessionKey, entry) };
  });

  gateway.registerMethod('sessions.delete', async (params) => {
    const { agentId, sessionKey } = service.chatTarget(params.key);
    if (sessionKey === mainSessionKey(agentId)) {
      throw invalidRequest(`the main session (${sessionKey}) cannot be deleted; reset it with sessions.reset or /new instead`);
    }
    if (runner.active(sessionKey).length) throw invalidRequest(`session ${sessionKey} has a run in progress; abort it first`);
    const { removed, kept } = await sessions.remove(agentId, sessionKey, { deleteTranscript: params.deleteTranscript === true });
    return { ok: true as const, key: sessionKey, deleted: removed !== undefined, archived: kept };
  });

  gateway.registerMethod('sessions.compact', async (params) => {
    const { agentId, sessionKey } = await service.resolveTarget({ sessionKey: params.key, ...(params.agentId ? { agentId: params.agentId } : {}) });
    // Compaction (a model call writing a summary) loads at its first use.
    const { compactSession } = await import('../agents/session-compactor.js');
    const outcome = await compactSession(service, agentId, sessionKey, { ...(params.maxLines ? { keep: params.maxLines } : {}) });
    if (!outcome.compacted) return { ok: true as const, key: sessionKey, compacted: false, reason: outcome.reason };
    const { previous, ...rest } = outcome;
    return { ok: true as const, key: sessionKey, ...rest, archived: [previous] };
  });

  gateway.registerMethod('sessions.preview', async (params) => {
    const limit = params.limit ?? 12;
    const maxChars = params.maxChars ?? 240;
    const previews: SessionsPreviewResult['previews'] = [];
    for (const key of params.keys) {
      try {
        const { agentId, sessionKey } = service.chatTarget(key);
        const entry = await sessions.get(agentId, sessionKey);
        if (!entry) {
          previews.push({ key, status: 'missing', items: [] });
          continue;
        }
        const lines = (await sessions.messages(agentId, entry)).slice(-limit);
        const items = lines.map(({ message }) => ({ role: message.role, text: clipText(textOf(message.content), maxChars) })).filter((item) => item.text);
        previews.push({ key, status: items.length ? 'ok' : 'empty', items });
      } catch {
        previews.push({ key, status: 'error', items: [] });
      }
    }
    return { ts: gateway.clock.now(), previews };
  });
}
