import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_NAME } from '../lib/package-name.js';

/** OPENCLAW_VERSION, else the version of the nearest package.json of this package. */
export function packageVersion(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENCLAW_VERSION) return env.OPENCLAW_VERSION;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return 'dev';
}
