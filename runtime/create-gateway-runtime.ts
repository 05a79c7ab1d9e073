import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { evaluateConfig, loadConfig, type LoadedConfig, type OpenClawConfig } from '../lib/config/index.js';
import { writeAtomic } from '../lib/file-storage.js';
import { GatewayRuntime, type GatewayRuntimeOptions } from './gateway-runtime.js';
import { packageVersion } from './package-version.js';

/** Where a config given as an object is kept, so `config.*`, hot reload and restarts work as with a file. */
export const EMBEDDED_CONFIG_FILE = 'openclaw.runtime.json';

export interface CreateGatewayRuntimeOptions extends Omit<GatewayRuntimeOptions, 'environment'> {
  /**
   * The config: an object of the `openclaw.json` schema, or the path of such a file (JSON5). An
   * object is validated, then written to `<stateDir>/openclaw.runtime.json` (mode 0600), replacing
   * what edits through `config.*` left there on the previous start: the host owns its config.
   */
  config: OpenClawConfig | string;
  /** `config` (a path) as the host already read it with `loadConfig`, so it is not read twice. */
  loaded?: LoadedConfig;
  /** Device pairings, sessions, channel credentials and logs' state live here. */
  stateDir: string;
  /** For `${VAR}` substitution and `OPENCLAW_*` settings. Default: a copy of `process.env`. */
  env?: Record<string, string | undefined>;
  /** Named in restart notes and doctor hints. Default `default`. */
  profile?: string;
  /** Reported as `server.version`. Default: this package's version. */
  version?: string;
  /** Agent workspace (the canvas host serves `<workspace>/canvas`). Default `<stateDir>/workspace`. */
  workspaceDir?: string;
}

/**
 * The whole gateway as a library: what `openclaw gateway` runs, from a config object or file.
 *
 * ```ts
 * const runtime = await createGatewayRuntime({ config, stateDir, server })
 * await runtime.start()
 * // runtime.gateway is the typed Gateway
 * await runtime.stop()
 * ```
 * An invalid config rejects with CONFIG_INVALID naming every bad key; nothing listens yet.
 */
export async function createGatewayRuntime(options: CreateGatewayRuntimeOptions): Promise<GatewayRuntime> {
  const { config, loaded: preloaded, stateDir: givenStateDir, env: givenEnv, profile, version, workspaceDir, ...rest } = options;
  const env: Record<string, string | undefined> = { ...(givenEnv ?? process.env) };
  const stateDir = resolve(givenStateDir);
  let configPath: string;
  if (typeof config === 'string') {
    configPath = resolve(config);
  } else {
    // Refused before anything is written, with the same message a file would get.
    await evaluateConfig(config, 'object', env);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    configPath = join(stateDir, EMBEDDED_CONFIG_FILE);
    await writeAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  }
  const loaded = preloaded?.path === configPath ? preloaded : await loadConfig({ path: configPath, env });
  for (const [key, value] of Object.entries(loaded.envAdditions)) env[key] ??= value;
  return new GatewayRuntime({
    ...rest,
    environment: {
      env,
      profile: profile ?? 'default',
      stateDir,
      configPath,
      workspaceDir: workspaceDir ?? join(stateDir, 'workspace'),
      version: version ?? packageVersion(env),
      loaded,
    },
  });
}
