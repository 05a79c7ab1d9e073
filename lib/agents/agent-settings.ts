import { invalidRequest } from '../errors.js';
import type { ModelSelection, OpenClawConfig } from '../protocol/generated/config.js';
import type { ThinkingLevel } from '../providers/model-provider.js';
import { normalizeAgentId, type DmScope } from '../sessions/session-keys.js';

/** One agent the gateway runs. */
export interface AgentDefinition {
  id: string;
  name?: string;
  avatar?: string;
  emoji?: string;
  /** `provider/model`; falls back to the defaults' model. */
  model?: string;
  /** Tried in order when `model` fails (with an own `model`, the defaults' fallbacks do not apply). */
  fallbacks?: string[];
  /** The agent's workspace directory (bootstrap files such as AGENTS.md live there). */
  workspace?: string;
}

export interface AgentSettingsInput {
  /** Known agents; without any, only the default agent exists. */
  agents?: AgentDefinition[];
  defaultAgentId?: string;
  /** `agents.defaults.model` (its primary). */
  defaultModel?: string;
  /** `agents.defaults.model.fallbacks`. */
  defaultFallbacks?: string[];
  thinkingDefault?: ThinkingLevel;
  /** `on` sends tool start/result agent events (docs/protocol.md, Agent runs). */
  verboseDefault?: 'on' | 'off';
  /** Run deadline when the caller gives none. Default 600 s. */
  timeoutSeconds?: number;
  /** How direct chats map to sessions (`session.dmScope`). */
  dmScope?: DmScope;
  /** The default agent's workspace; other agents without one get `<it>-<agentId>`. */
  defaultWorkspace?: string;
}

/** Agents and their defaults, resolved once from config (or given by an embedder). */
export class AgentSettings {
  readonly defaultAgentId: string;
  readonly defaultModel?: string;
  readonly defaultFallbacks: readonly string[];
  readonly thinkingDefault: ThinkingLevel;
  readonly verboseDefault: 'on' | 'off';
  readonly timeoutSeconds: number;
  readonly dmScope: DmScope;
  readonly defaultWorkspace?: string;
  readonly #agents = new Map<string, AgentDefinition>();

  constructor(input: AgentSettingsInput = {}) {
    for (const agent of input.agents ?? []) {
      const id = normalizeAgentId(agent.id);
      this.#agents.set(id, { ...agent, id });
    }
    this.defaultAgentId = normalizeAgentId(input.defaultAgentId ?? this.#agents.keys().next().value ?? 'main');
    if (!this.#agents.has(this.defaultAgentId)) this.#agents.set(this.defaultAgentId, { id: this.defaultAgentId });
    this.defaultModel = input.defaultModel;
    this.defaultFallbacks = input.defaultFallbacks ?? [];
    this.thinkingDefault = input.thinkingDefault ?? 'off';
    this.verboseDefault = input.verboseDefault ?? 'off';
    this.timeoutSeconds = input.timeoutSeconds ?? 600;
    this.dmScope = input.dmScope ?? 'main';
    this.defaultWorkspace = input.defaultWorkspace;
  }

  /** `paths.home` expands a leading `~` of configured workspaces; `paths.workspaceDir` is the default workspace. */
  static fromConfig(config: OpenClawConfig, defaultAgentId?: string, paths: { home?: string; workspaceDir?: string } = {}): AgentSettings {
    const defaults = config.agents?.defaults;
    const expand = (dir: string | undefined) => (dir && paths.home ? dir.replace(/^~(?=$|\/)/, paths.home) : dir);
    // The seed era lists agents (`agents.list`), today's era keys them by id (`agents.entries`).
    const byId = new Map<string, AgentConfigEntry & { id: string }>();
    for (const a of config.agents?.list ?? []) byId.set(a.id, a);
    for (const [id, a] of Object.entries(config.agents?.entries ?? {})) byId.set(id, { ...a, id });
    const list = [...byId.values()];
    const dmScope = (config.session as { dmScope?: unknown } | undefined)?.dmScope;
    const defaultModel = modelSelection(defaults?.model);
    return new AgentSettings({
      agents: list.map((a) => {
        const own = modelSelection(a.model);
        return { id: a.id, name: a.identity?.name ?? a.name, avatar: a.identity?.avatar, emoji: a.identity?.emoji, model: own.primary, fallbacks: own.fallbacks, workspace: expand(a.workspace) };
      }),
      defaultAgentId: defaultAgentId ?? list.find((a) => a.default)?.id ?? list[0]?.id,
      defaultWorkspace: expand(defaults?.workspace) ?? paths.workspaceDir,
      defaultModel: defaultModel.primary,
      defaultFallbacks: defaultModel.fallbacks,
      thinkingDefault: thinkingLevel(defaults?.thinkingDefault),
      verboseDefault: defaults?.verboseDefault === undefined ? undefined : defaults.verboseDefault === 'off' ? 'off' : 'on',
      timeoutSeconds: defaults?.timeoutSeconds,
      dmScope: dmScope === 'per-peer' || dmScope === 'per-channel-peer' ? dmScope : 'main',
    });
  }

  ids(): string[] {
    return [...this.#agents.keys()];
  }

  get(id: string): AgentDefinition | undefined {
    return this.#agents.get(id.trim().toLowerCase());
  }

  /** The agent, or INVALID_REQUEST `unknown agent id`. */
  require(id: string): AgentDefinition {
    const agent = this.get(id);
    if (!agent) throw invalidRequest(`unknown agent id "${id}"`);
    return agent;
  }

  modelRef(agentId: string): string | undefined {
    return this.get(agentId)?.model ?? this.defaultModel;
  }

  /** Where the agent's bootstrap files live; undefined when no workspace is known. */
  workspaceOf(agentId: string): string | undefined {
    const agent = this.require(agentId);
    if (agent.workspace) return agent.workspace;
    if (!this.defaultWorkspace) return undefined;
    return agent.id === this.defaultAgentId ? this.defaultWorkspace : `${this.defaultWorkspace}-${agent.id}`;
  }

  /** The primary model, then its fallbacks, without repeats. */
  modelChain(agentId: string): string[] {
    const agent = this.get(agentId);
    const chain = agent?.model ? [agent.model, ...(agent.fallbacks ?? [])] : this.defaultModel ? [this.defaultModel, ...this.defaultFallbacks] : [];
    return [...new Set(chain)];
  }
}

/** What both spellings of an agent share. */
interface AgentConfigEntry {
  name?: string;
  workspace?: string;
  model?: ModelSelection;
  default?: boolean;
  identity?: { name?: string; avatar?: string; emoji?: string };
}

/** `model` as upstream writes it: `provider/model`, or `{ primary, fallbacks }`. */
function modelSelection(value: ModelSelection | undefined): { primary?: string; fallbacks: string[] } {
  if (value === undefined) return { fallbacks: [] };
  if (typeof value === 'string') return { primary: value, fallbacks: [] };
  return { ...(value.primary ? { primary: value.primary } : {}), fallbacks: value.fallbacks ?? [] };
}

/** Upstream's newer levels, mapped onto the ones the providers here speak. */
function thinkingLevel(value: string | undefined): ThinkingLevel | undefined {
  if (value === undefined) return undefined;
  if (value === 'xhigh' || value === 'max' || value === 'ultra') return 'high';
  if (value === 'adaptive') return 'medium';
  return value as ThinkingLevel;
}
