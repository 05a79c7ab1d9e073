import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { AgentSettings } from '../../../lib/agents/agent-settings.js';
import { accountPolicy } from '../../../lib/channels/channel-accounts.js';
import { configKeyReport } from '../../../lib/config/config-key-report.js';
import { migrateConfig } from '../../../lib/config/config-migration.js';
import { loadConfig, resolveGatewayAuth, validateConfig } from '../../../lib/config/index.js';
import { globalMentionPatterns, policyConfig } from '../../../lib/config/own-settings.js';
import type { OpenClawConfig } from '../../../lib/protocol/generated/config.js';

// The fixtures were checked against upstream's published config schemas: seed-onboard.json5 is
// valid for 2026.1.30, today.json5 for 2026.9.6, and old-dialect.json5 once migrated for both.
const fixture = (name: string) => join(import.meta.dirname, 'fixtures', name);
const parsed = async (name: string) => JSON5.parse(await readFile(fixture(name), 'utf8')) as Record<string, unknown>;

describe('upstream config dialect', () => {
  it('loads a config written by the seed era\'s onboarding: model { primary, fallbacks }, meta, wizard, messages', async () => {
    const loaded = await loadConfig({ path: fixture('seed-onboard.json5'), env: {} });
    const report = await configKeyReport(loaded.config);
    expect(report.legacy).toEqual([]);
    expect(report.unused).toEqual(
      expect.arrayContaining(['meta', 'wizard', 'agents.defaults.maxConcurrent', 'agents.defaults.subagents', 'agents.defaults.compaction', 'messages.ackReactionScope', 'commands.native']),
    );
    expect(report.unused).not.toContain('agents.defaults.model');
    // Skills are served now (skills.status|bins|install|update).
    expect(report.unused).not.toContain('skills');
    const settings = AgentSettings.fromConfig(loaded.config);
    expect(settings.modelChain('main')).toEqual(['local/demo', 'local/backup']);
    expect(settings.modelRef('main')).toBe('local/demo');
  });

  it('loads a config valid for today\'s upstream: agents.entries, model string, secret references, newer families, typed channels', async () => {
    const loaded = await loadConfig({ path: fixture('today.json5'), env: {} });
    const report = await configKeyReport(loaded.config);
    expect(report.legacy).toEqual([]);
    expect(report.unused).toEqual(
      expect.arrayContaining(['memory', 'channels.discord', 'channels.telegram.linkPreview', 'channels.telegram.mentionPatterns', 'plugins.entries.telegram']),
    );
    expect(report.unused).not.toContain('gateway.controlUi.allowedOrigins');
    expect(report.unused).not.toContain('cron');
    // Upstream's file log cap is honoured here (rotation), so it is a used key.
    expect(report.unused).not.toContain('logging.maxFileBytes');
    expect(report.unused).not.toContain('plugins.entries.clawgate.config');
    // Heartbeats run now, per agent too.
    expect(report.unused).not.toContain('agents.entries.main.heartbeat');
    expect(report.unused.some((k) => k === 'agents.entries' || k.startsWith('agents.entries.work'))).toBe(false);
    const settings = AgentSettings.fromConfig(loaded.config, undefined, { home: '/home/ada' });
    expect(settings.ids()).toEqual(['main', 'work']);
    expect(settings.defaultAgentId).toBe('work');
    expect(settings.get('main')).toMatchObject({ name: 'Claw', emoji: '🦞' });
    expect(settings.modelChain('main')).toEqual(['local/demo']);
    expect(settings.modelChain('work')).toEqual(['local/big', 'local/demo']);
    expect(settings.workspaceOf('work')).toBe('/home/ada/work-agent');
    expect(settings.workspaceOf('main')).toBe('/home/ada/.openclaw/workspace-main');
    expect(settings.thinkingDefault).toBe('medium');
    expect(settings.verboseDefault).toBe('on');
    expect(policyConfig(loaded.config)).toEqual({ maxPayload: 1048576 });
    expect(globalMentionPatterns(loaded.config)).toEqual(['\\bclaw\\b']);
    expect(accountPolicy({}, globalMentionPatterns(loaded.config)).mentionPatterns.map(String)).toEqual(['/\\bclaw\\b/i']);
    expect(resolveGatewayAuth({ config: loaded.config, env: { TODAY_GATEWAY_TOKEN: 'from-the-environment' } })).toEqual({ mode: 'token', token: 'from-the-environment' });
    expect(() => resolveGatewayAuth({ config: loaded.config, env: {} })).toThrow('gateway.auth.token reads the environment variable TODAY_GATEWAY_TOKEN, which is not set');
  });

  it('refuses secret sources it cannot read and auth modes without a secret, at start and by name', () => {
    const fileRef: OpenClawConfig = { gateway: { auth: { token: { source: 'file', provider: 'default', id: '/run/secrets/token' } } } };
    expect(() => resolveGatewayAuth({ config: fileRef, env: {} })).toThrow(/gateway.auth.token: secret source "file" is not supported/);
    expect(() => resolveGatewayAuth({ config: { gateway: { auth: { mode: 'none' } } }, env: {} })).toThrow('gateway.auth.mode "none" is not supported by this gateway');
  });

  it('still reads the old dialect, reports each old key, and migrates it to keys every era accepts', async () => {
    const old = await parsed('old-dialect.json5');
    const validated = await validateConfig(old);
    expect(validated.ok).toBe(true);
    const report = await configKeyReport(old);
    expect(report.legacy.map((k) => k.path).sort()).toEqual([
      '$schema',
      'channels.telegram.accounts.alerts.mentionPatterns',
      'channels.telegram.mentionPatterns',
      'channels.whatsapp.authDir',
      'channels.whatsapp.mentionPatterns',
      'channels.whatsapp.name',
      'gateway.policy',
      'models.providers.local.apiKeyEnv',
    ]);
    expect(policyConfig(old as OpenClawConfig)).toEqual({ maxPayload: 2097152 });

    const { config, changes } = migrateConfig(old);
    expect(changes).toHaveLength(9);
    expect(old.$schema).toBe('./config.schema.json');
    expect((await validateConfig(config)).ok).toBe(true);
    expect((await configKeyReport(config)).legacy).toEqual([]);
    expect(config).toMatchObject({
      gateway: { mode: 'local', auth: { token: 'old-dialect-token-0123456789' } },
      agents: { defaults: { model: { primary: 'local/demo' } } },
      models: { providers: { local: { apiKey: '${LOCAL_KEY}' } } },
      messages: { groupChat: { mentionPatterns: ['\\bclaw\\b', '\\bbot\\b', 'alert'] } },
      channels: { whatsapp: { enabled: false, accounts: { default: { name: 'Phone', authDir: '/var/lib/wa' } } } },
      plugins: { entries: { clawgate: { config: { policy: { maxPayload: 2097152 } } } } },
    });
    expect(policyConfig(config as OpenClawConfig)).toEqual({ maxPayload: 2097152 });
    expect(migrateConfig(config)).toEqual({ config, changes: [] });
  });

  it('keeps unknown keys an error: a typo is not an upstream key', async () => {
    const result = await validateConfig({ gateway: { prot: 1 }, agnets: {} });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([
      { path: 'agnets', message: 'unknown key' },
      { path: 'gateway.prot', message: 'unknown key' },
    ]);
  });
});
