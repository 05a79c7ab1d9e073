import type { AgentService } from '../agents/agent-service.js';
import { invalidRequest } from '../errors.js';
import type { GatewayHost } from '../plugin.js';

export interface SessionsUsageMethodOptions {
  /** The zone `mode: "gateway"` counts days in (default this process's). */
  timeZone?: string;
}

/**
 * `sessions.usage`: tokens and cost per session and per day from the sessions' transcripts (each
 * reply records its provider's usage), priced with the catalog. The default agent's sessions
 * unless `agentId`, `key` or `agentScope: "all"` say otherwise.
 */
export function registerSessionsUsageMethod(gateway: GatewayHost, service: AgentService, options: SessionsUsageMethodOptions = {}): void {
  const { settings, sessions } = service;
  gateway.registerMethod('sessions.usage', async (params) => {
    if (params.agentScope === 'all' && (params.agentId !== undefined || params.key !== undefined)) {
      throw invalidRequest('agentScope "all" cannot be combined with agentId or key');
    }
    // The report's code is for this method alone: loaded at its first call.
    const [{ SessionUsageReport }, { usageDayRange }] = await Promise.all([import('../agents/session-usage-report.js'), import('../agents/usage-day-range.js')]);
    const now = gateway.clock.now();
    const range = usageDayRange(params, now, options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
    const report = new SessionUsageReport({ range, priceOf: (ref) => service.models.priceOf?.(ref) });
    if (params.key !== undefined) {
      const { agentId, sessionKey } = service.chatTarget(params.key, params.agentId);
      const entry = await sessions.get(agentId, sessionKey);
      if (entry) report.add(agentId, sessionKey, entry, await sessions.messages(agentId, entry));
    } else {
      const ids = params.agentScope === 'all' ? settings.ids() : [settings.require(params.agentId ?? settings.defaultAgentId).id];
      for (const agentId of ids) {
        await sessions.load(agentId);
        for (const { key, entry } of sessions.entries(agentId)) {
          // A transcript untouched since before the range has nothing in it.
          if (range.startDate !== undefined && range.dayOf(entry.updatedAt) < range.startDate) continue;
          report.add(agentId, key, entry, await sessions.messages(agentId, entry));
        }
      }
    }
    return report.result(now, params.limit ?? 50);
  });
}
