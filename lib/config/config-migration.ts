import { OWN_PLUGIN_ID } from './own-settings.js';

type Json = Record<string, unknown>;

export interface ConfigMigration {
  /** The config in upstream's dialect (a copy; the input is not changed). */
  config: Json;
  /** One line per key moved or rewritten, e.g. `gateway.policy → plugins.entries.clawgate.config.policy`. */
  changes: string[];
}

/**
 * Rewrites a config of this gateway's old dialect into keys every upstream era accepts, keeping
 * what each setting does. Works on the file as parsed (before `${VAR}` substitution) so references
 * stay references. Idempotent: a migrated config migrates to itself with no changes.
 */
export function migrateConfig(parsed: Json): ConfigMigration {
  const config = structuredClone(parsed);
  const changes: string[] = [];

  if ('$schema' in config) {
    delete config.$schema;
    changes.push('$schema removed (upstream refuses it)');
  }

  const gateway = record(config.gateway);
  if (gateway && 'policy' in gateway) {
    const own = ensure(ensure(ensure(ensure(config, 'plugins'), 'entries'), OWN_PLUGIN_ID), 'config');
    if (!('policy' in own)) own.policy = gateway.policy;
    delete gateway.policy;
    changes.push(`gateway.policy → plugins.entries.${OWN_PLUGIN_ID}.config.policy`);
  }

  const model = record(record(config.agents)?.defaults);
  if (model && typeof model.model === 'string') {
    model.model = { primary: model.model };
    changes.push('agents.defaults.model "<ref>" → { primary: "<ref>" } (the seed era accepts only the object)');
  }

  const patterns: string[] = [];
  for (const [channelId, value] of Object.entries(record(config.channels) ?? {})) {
    const section = record(value);
    if (!section) continue;
    const scopes: [string, Json][] = [[`channels.${channelId}`, section]];
    for (const [accountId, account] of Object.entries(record(section.accounts) ?? {})) {
      if (record(account)) scopes.push([`channels.${channelId}.accounts.${accountId}`, record(account)!]);
    }
    for (const [path, scope] of scopes) {
      if (!Array.isArray(scope.mentionPatterns)) continue;
      patterns.push(...scope.mentionPatterns.map(String));
      delete scope.mentionPatterns;
      changes.push(`${path}.mentionPatterns → messages.groupChat.mentionPatterns`);
    }
  }
  if (patterns.length) {
    const groupChat = ensure(ensure(config, 'messages'), 'groupChat');
    const existing = Array.isArray(groupChat.mentionPatterns) ? groupChat.mentionPatterns.map(String) : [];
    groupChat.mentionPatterns = [...new Set([...existing, ...patterns])];
  }

  const whatsapp = record(record(config.channels)?.whatsapp);
  for (const key of ['name', 'authDir'] as const) {
    if (!whatsapp || !(key in whatsapp)) continue;
    // Top-level keys apply to every account; with no accounts they are the default account's.
    const accounts = ensure(whatsapp, 'accounts');
    const ids = Object.keys(accounts).length ? Object.keys(accounts) : ['default'];
    for (const id of ids) {
      const account = ensure(accounts, id);
      if (!(key in account)) account[key] = whatsapp[key];
    }
    delete whatsapp[key];
    changes.push(`channels.whatsapp.${key} → channels.whatsapp.accounts.${ids.join('|')}.${key}`);
  }

  for (const [providerId, value] of Object.entries(record(record(config.models)?.providers) ?? {})) {
    const provider = record(value);
    if (!provider || typeof provider.apiKeyEnv !== 'string') continue;
    if (provider.apiKey === undefined) provider.apiKey = `\${${provider.apiKeyEnv}}`;
    delete provider.apiKeyEnv;
    changes.push(`models.providers.${providerId}.apiKeyEnv → models.providers.${providerId}.apiKey "\${VAR}"`);
  }

  return { config, changes };
}

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function ensure(parent: Json, key: string): Json {
  const existing = record(parent[key]);
  if (existing) return existing;
  const created: Json = {};
  parent[key] = created;
  return created;
}
