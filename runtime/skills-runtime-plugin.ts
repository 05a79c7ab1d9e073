import { join } from 'node:path';
import { AgentSettings } from '../lib/agents/agent-settings.js';
import type { CommandRunner } from '../lib/command-runner.js';
import { loadConfig } from '../lib/config/load-config.js';
import { skillsPlugin } from '../lib/plugins/skills-plugin.js';
import { PathBinaryLocator, type BinaryLocator } from '../lib/skills/binary-locator.js';
import { loadOnce } from '../lib/load-once.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface SkillsRuntimePluginOptions {
  /** Runs installers; default: child processes. */
  runner?: CommandRunner;
  /** Finds required executables; default: the PATH of the runtime's environment. */
  bins?: (env: Readonly<Record<string, string | undefined>>) => BinaryLocator;
  /** For `download` installers; default: global fetch. */
  fetch?: typeof fetch;
  platform?: NodeJS.Platform;
}

/**
 * Skills: `<workspace>/skills`, `<stateDir>/skills` (managed) and `skills.load.extraDirs`, read
 * on every call together with the config file, so edits and installs show without a restart.
 */
export function skillsRuntimePlugin(options: SkillsRuntimePluginOptions = {}): RuntimePlugin {
  return {
    name: 'skills',
    gatewayPlugins({ config: startConfig, env, stateDir, configPath, workspaceDir }) {
      const currentConfig = async () => {
        try {
          return (await loadConfig({ path: configPath, env })).config;
        } catch {
          // A file broken since start is reported by the config RPC; skills keep the last good one.
          return startConfig;
        }
      };
      // The installer (downloads, package managers, child processes) loads at the first skills.install.
      const installer = loadOnce(async () => {
        const [{ SkillInstaller }, { ChildProcessRunner }] = await Promise.all([import('../lib/skills/skill-installer.js'), import('./child-process-runner.js')]);
        return new SkillInstaller({ runner: options.runner ?? new ChildProcessRunner(), env, fetch: options.fetch ?? fetch, toolsDir: join(stateDir, 'tools') });
      });
      return [
        skillsPlugin({
          config: currentConfig,
          workspaceDir: (config, agentId) => {
            const settings = AgentSettings.fromConfig(config, undefined, { home: env.HOME, workspaceDir });
            return settings.workspaceOf(agentId ?? settings.defaultAgentId) ?? workspaceDir;
          },
          managedSkillsDir: join(stateDir, 'skills'),
          env,
          bins: (options.bins ?? ((e) => new PathBinaryLocator({ env: e, platform: options.platform })))(env),
          installer: { install: async (request) => (await installer()).install(request) },
          platform: options.platform,
        }),
      ];
    },
  };
}
