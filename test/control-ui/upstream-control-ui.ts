import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../scripts/consumer-project.js';

/** The seed-era upstream release whose browser app real users open against a gateway. */
export const UPSTREAM_VERSION = '2026.1.30';

/**
 * Upstream's built Control UI (`dist/control-ui` of the `openclaw` npm package), fetched once with
 * `npm pack` and kept in the temp dir across runs. Never copied into this repository.
 */
export async function upstreamControlUi(version = UPSTREAM_VERSION): Promise<string> {
  const home = join(tmpdir(), `clawgate-upstream-openclaw-${version}`);
  const dir = join(home, 'package', 'dist', 'control-ui');
  if (existsSync(join(dir, 'index.html'))) return dir;
  await mkdir(tmpdir(), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'clawgate-upstream-fetch-'));
  try {
    const packed = await runCommand('npm', ['pack', `openclaw@${version}`, '--pack-destination', work, '--silent'], { cwd: work, timeoutMs: 180_000 });
    if (packed.code !== 0) throw new Error(`npm pack openclaw@${version} failed:\n${packed.stderr}`);
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack openclaw@${version} wrote no tarball`);
    const extracted = join(work, 'out');
    await mkdir(extracted);
    const untar = await runCommand('tar', ['xzf', join(work, tarball), '-C', extracted, 'package/dist/control-ui'], { cwd: work });
    if (untar.code !== 0) throw new Error(`extracting ${tarball} failed:\n${untar.stderr}`);
    // Another test file may have finished first: the first complete copy wins.
    if (!existsSync(join(dir, 'index.html'))) {
      await rm(home, { recursive: true, force: true });
      await rename(extracted, home);
    }
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
