import { join } from 'node:path';
import { REDACTED_SENTINEL } from '../config/config-redaction.js';
import { isPlainObject } from '../config/merge-patch.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import type { SkillEntryConfig, SkillsUpdateParams } from '../protocol/generated/types.js';
import { configService } from '../services.js';
import type { BinaryLocator } from '../skills/binary-locator.js';
import type { SkillFolders, SkillRecord } from '../skills/skill-catalog.js';
import type { SkillInstaller } from '../skills/skill-installer.js';

export const DEFAULT_SKILL_INSTALL_TIMEOUT_MS = 300_000;

export interface SkillsPluginOptions {
  /** The config as it is now: skills are read where they are used, so every call reads it. */
  config: () => Promise<OpenClawConfig>;
  /** The workspace of an agent (the default agent when none is named); its `skills/` folder is scanned. */
  workspaceDir: (config: OpenClawConfig, agentId: string | undefined) => string;
  /** `<stateDir>/skills`: skills installed for every agent. */
  managedSkillsDir: string;
  /** Requirements of kind `env` are met by this environment (or by `skills.entries.<key>.env|apiKey`). */
  env: Readonly<Record<string, string | undefined>>;
  bins: BinaryLocator;
  installer: Pick<SkillInstaller, 'install'>;
  platform?: NodeJS.Platform;
}

/**
 * `skills.status|bins|install|update` over the SKILL.md folders; `skills.update` edits
 * `skills.entries.<skillKey>` through the config service (validated, atomic, no restart).
 */
export function skillsPlugin(options: SkillsPluginOptions): GatewayPlugin {
  const folders = (config: OpenClawConfig, agentId?: string): SkillFolders => ({
    workspaceSkillsDir: join(options.workspaceDir(config, agentId), 'skills'),
    managedSkillsDir: options.managedSkillsDir,
    extraDirs: config.skills?.load?.extraDirs ?? [],
  });
  return {
    name: 'skills',
    setup(gateway) {
      gateway.registerMethod('skills.status', async (params) => {
        const config = await options.config();
        const where = folders(config, params.agentId);
        const { loadSkills, skillStatus } = await skillCatalog();
        const records = await loadSkills(where);
        const ctx = { config, env: options.env, bins: options.bins, platform: options.platform };
        return {
          workspaceDir: options.workspaceDir(config, params.agentId),
          managedSkillsDir: where.managedSkillsDir,
          skills: await Promise.all(records.map((record) => skillStatus(record, ctx))),
        };
      });

      gateway.registerMethod('skills.bins', async () => {
        const config = await options.config();
        const { loadSkills, skillBins } = await skillCatalog();
        return { bins: skillBins(await loadSkills(folders(config))) };
      });

      gateway.registerMethod('skills.install', async (params) => {
        const config = await options.config();
        const { loadSkills } = await skillCatalog();
        const record = findSkill(await loadSkills(folders(config, params.agentId)), params.name);
        const spec = record.manifest.install.find((s) => s.id === params.installId);
        if (!spec) {
          const ids = record.manifest.install.map((s) => s.id);
          throw invalidRequest(`skill ${record.manifest.name} has no installer ${params.installId}${ids.length ? ` (has: ${ids.join(', ')})` : ''}`);
        }
        if (spec.os.length && !spec.os.includes(options.platform ?? process.platform)) {
          throw invalidRequest(`installer ${spec.id} of ${record.manifest.name} is for ${spec.os.join(', ')}, not ${options.platform ?? process.platform}`);
        }
        const result = await options.installer.install({
          spec,
          skillKey: record.skillKey,
          nodeManager: config.skills?.install?.nodeManager,
          timeoutMs: params.timeoutMs ?? DEFAULT_SKILL_INSTALL_TIMEOUT_MS,
        });
        gateway.logger.log('info', 'gateway/skills', `installed ${record.manifest.name} (${spec.id})`);
        return result;
      });

      gateway.registerMethod('skills.update', async (params) => {
        const manager = gateway.optionalService(configService);
        if (!manager) throw new GatewayError('UNAVAILABLE', 'skills.update needs the config file service, which this gateway does not run');
        let entry: SkillEntryConfig = {};
        await manager.edit('skills.update', (parsed) => {
          const skills = objectAt(parsed, 'skills');
          const entries = objectAt(skills, 'entries');
          entry = updatedEntry(objectAt(entries, params.skillKey) as SkillEntryConfig, params);
          entries[params.skillKey] = entry;
          return parsed;
        });
        return { ok: true as const, skillKey: params.skillKey, config: redactEntry(entry) };
      });
    },
  };
}

/** The catalog (SKILL.md discovery and parsing, requirement checks) loads at the first skills call. */
function skillCatalog(): Promise<typeof import('../skills/skill-catalog.js')> {
  return import('../skills/skill-catalog.js');
}

function findSkill(records: readonly SkillRecord[], name: string): SkillRecord {
  const record = records.find((r) => r.manifest.name === name) ?? records.find((r) => r.skillKey === name);
  if (!record) throw invalidRequest(`unknown skill: ${name}`);
  return record;
}

/** Empty strings clear (an apiKey, one env variable); the redaction marker keeps what is stored. */
function updatedEntry(current: SkillEntryConfig, params: SkillsUpdateParams): SkillEntryConfig {
  const next: SkillEntryConfig = { ...current };
  if (params.enabled !== undefined) next.enabled = params.enabled;
  if (params.apiKey !== undefined && params.apiKey !== REDACTED_SENTINEL) {
    if (params.apiKey.trim()) next.apiKey = params.apiKey.trim();
    else delete next.apiKey;
  }
  if (params.env) {
    const env = { ...(current.env ?? {}) };
    for (const [name, value] of Object.entries(params.env)) {
      if (value === REDACTED_SENTINEL) continue;
      if (value.trim()) env[name] = value;
      else delete env[name];
    }
    if (Object.keys(env).length) next.env = env;
    else delete next.env;
  }
  return next;
}

function redactEntry(entry: SkillEntryConfig): SkillEntryConfig {
  const out: SkillEntryConfig = { ...entry };
  if (out.apiKey) out.apiKey = REDACTED_SENTINEL;
  if (out.env) out.env = Object.fromEntries(Object.keys(out.env).map((name) => [name, REDACTED_SENTINEL]));
  return out;
}

function objectAt(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (isPlainObject(value)) return value;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}
