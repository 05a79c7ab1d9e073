import { homedir } from 'node:os';
import { loadConfig, resolvePaths, resolvePort, resolveProfile, type LoadedConfig } from '../lib/config/index.js';
import { GatewayError } from '../lib/errors.js';
import type { RuntimeEnvironment } from '../runtime/runtime-environment.js';
import { packageVersion } from '../runtime/package-version.js';

export interface GlobalFlags {
  dev?: boolean;
  profile?: string;
}

/** The runtime's environment, as every command resolves it. */
export type CliContext = RuntimeEnvironment;

/**
 * What every command starts from: the profile applied to the environment, the resolved paths,
 * and the validated config file (an invalid file throws CONFIG_INVALID naming the keys).
 */
export async function loadCliContext(flags: GlobalFlags, baseEnv: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
  const profile = resolveProfile({ dev: flags.dev, profile: flags.profile }, baseEnv);
  const env: Record<string, string | undefined> = { ...baseEnv, ...profile.env };
  const paths = resolvePaths(env, homedir());
  const loaded = await loadConfig({ path: paths.configPath, env });
  for (const [key, value] of Object.entries(loaded.envAdditions)) env[key] ??= value;
  return { env, ...paths, version: packageVersion(env), loaded };
}

/** A context for diagnostic commands (status, doctor): an invalid config file is reported, not thrown. */
export interface DiagnosticContext extends CliContext {
  /** Why the config file could not be loaded; `loaded` is then an empty config. */
  configError?: Error;
}

export async function loadDiagnosticContext(flags: GlobalFlags, baseEnv: NodeJS.ProcessEnv = process.env): Promise<DiagnosticContext> {
  try {
    return await loadCliContext(flags, baseEnv);
  } catch (err) {
    const profile = resolveProfile({ dev: flags.dev, profile: flags.profile }, baseEnv);
    const env: Record<string, string | undefined> = { ...baseEnv, ...profile.env };
    const paths = resolvePaths(env, homedir());
    const loaded: LoadedConfig = { path: paths.configPath, exists: true, raw: '', parsed: {}, config: {}, hash: '', envAdditions: {} };
    return { env, ...paths, version: packageVersion(env), loaded, configError: err as Error };
  }
}

/**
 * A context for client commands, which only talk to a running gateway. Given `--url` they need
 * nothing from the config file, so a broken one (a shared ~/.openclaw another version wrote, say)
 * costs a warning line on stderr, not the command. Without `--url` its error stands, even though
 * loopback is the usual answer: the file is what says where and how to connect (remote mode,
 * port, credentials), and guessing would turn a config error into a misleading "unreachable" or
 * an answer from a gateway the file does not point at.
 */
export async function loadClientContext(flags: GlobalFlags, url: string | undefined, baseEnv: NodeJS.ProcessEnv = process.env): Promise<CliContext> {
  const ctx = await loadDiagnosticContext(flags, baseEnv);
  const err = ctx.configError;
  if (!err) return ctx;
  if (!url) throw err;
  // CONFIG_INVALID messages name the file already; a read error (EACCES on a shared dir) does not.
  const problem = err instanceof GatewayError && err.code === 'CONFIG_INVALID' ? err.message : `unreadable config ${ctx.configPath}: ${err.message}`;
  process.stderr.write(`warning: ignoring ${problem}\n`);
  return ctx;
}

/** Where RPC helpers connect: `--url`, else the remote URL of a remote-mode config, else loopback. */
export function resolveGatewayUrl(ctx: CliContext, flagUrl?: string): { url: string; source: string } {
  if (flagUrl) return { url: flagUrl, source: 'flag' };
  const gw = ctx.loaded.config.gateway;
  if (gw?.mode === 'remote' && gw.remote?.url) return { url: gw.remote.url, source: 'config:gateway.remote.url' };
  const { port, source } = resolvePort({ env: ctx.env, config: ctx.loaded.config });
  return { url: `ws://127.0.0.1:${port}`, source: `local:${source}` };
}
