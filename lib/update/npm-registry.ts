import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org';

/**
 * The registry npm itself would use: `npm_config_registry` (set by npm for scripts, or by the
 * user), then a `registry=` line of the user's ~/.npmrc, then the public registry.
 */
export async function resolveNpmRegistry(env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const fromEnv = env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY;
  if (fromEnv?.trim()) return trimSlash(fromEnv.trim());
  const rc = env.NPM_CONFIG_USERCONFIG ?? env.npm_config_userconfig ?? (env.HOME ? join(env.HOME, '.npmrc') : undefined);
  if (rc) {
    try {
      const line = (await readFile(rc, 'utf8')).split(/\r?\n/).find((l) => /^\s*registry\s*=/.test(l));
      const value = line?.split('=').slice(1).join('=').trim();
      if (value) return trimSlash(value);
    } catch {
      // no user npmrc
    }
  }
  return DEFAULT_NPM_REGISTRY;
}

/** The `latest` dist-tag of a package, from its registry metadata document. */
export async function fetchLatestVersion(options: { registry: string; name: string; fetch: typeof fetch; timeoutMs: number }): Promise<string> {
  // Scoped names keep their "@" but escape the "/" (npm's own spelling of the document URL).
  const url = `${options.registry}/${options.name.replace('/', '%2f')}`;
  const res = await options.fetch(url, {
    headers: { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' },
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const doc = (await res.json()) as { 'dist-tags'?: Record<string, unknown> };
  const latest = doc['dist-tags']?.latest;
  if (typeof latest !== 'string' || !latest) throw new Error(`${url}: no dist-tags.latest`);
  return latest;
}

/** Orders two semver versions (prereleases before their release); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core = '', pre] = v.replace(/^v/, '').split('+')[0]!.split(/-(.*)/s);
    return { core: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d) return Math.sign(d);
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre.localeCompare(y.pre, 'en', { numeric: true });
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
