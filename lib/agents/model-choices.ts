import type { ModelChoice } from '../protocol/generated/types.js';
import { splitModelRef } from '../providers/model-ref.js';
import type { AgentService } from './agent-service.js';

/** The models the catalog declares, then the agents' own refs it does not name (so the UI can show them). */
export function modelChoices(service: AgentService): ModelChoice[] {
  const choices = service.models.list?.() ?? [];
  const seen = new Set(choices.map((c) => `${c.provider}/${c.id}`));
  for (const id of service.settings.ids()) {
    for (const ref of service.settings.modelChain(id)) {
      const { model, modelProvider } = splitModelRef(ref);
      if (!model || !modelProvider || seen.has(ref)) continue;
      seen.add(ref);
      choices.push({ id: model, name: model, provider: modelProvider });
    }
  }
  return choices;
}
