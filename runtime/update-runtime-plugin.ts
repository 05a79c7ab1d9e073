import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandRunner } from '../lib/command-runner.js';
import { PACKAGE_NAME } from '../lib/package-name.js';
import { updatePlugin } from '../lib/plugins/update-plugin.js';
import { loadOnce } from '../lib/load-once.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface UpdateRuntimePluginOptions {
  /** The install to update; default: the package this module was loaded from. */
  packageRoot?: string;
  /** Runs npm; default: child processes. */
  runner?: CommandRunner;
  /** Asks the registry; default: global fetch. */
  fetch?: typeof fetch;
}

/** `update.run` for the install this gateway runs from (the registry from npm's own settings). */
export function updateRuntimePlugin(options: UpdateRuntimePluginOptions = {}): RuntimePlugin {
  return {
    name: 'update',
    gatewayPlugins({ env, version }) {
      const packageRoot = options.packageRoot ?? ownPackageRoot();
      // The updater (registry client, npm runs) loads at the first update check or run.
      const updater = loadOnce(async () => {
        const [{ PackageUpdater }, { ChildProcessRunner }] = await Promise.all([import('../lib/update/package-updater.js'), import('./child-process-runner.js')]);
        return new PackageUpdater({ packageRoot, packageName: PACKAGE_NAME, currentVersion: version, runner: options.runner ?? new ChildProcessRunner(), fetch: options.fetch ?? fetch, env });
      });
      return [updatePlugin({ check: async (timeoutMs) => (await updater()).check(timeoutMs), run: async (timeoutMs) => (await updater()).run(timeoutMs) })];
    },
  };
}

/** The nearest folder above this module whose package.json is this package's. */
function ownPackageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
    } catch {
      // keep walking up
    }
  }
  return start;
}
