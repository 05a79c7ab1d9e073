import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directoryBytes, installConsumer, packPackage, runCommand } from '../../scripts/consumer-project.js';
import type { Cleanup } from '../log.js';
import { progress } from '../log.js';
import { ratio, round } from '../stats.js';

const MB = 1024 * 1024;
/** The budget for a whole install without channels (it was 132 MB with Baileys and dev tooling pulled in). */
const TARGET_INSTALLED_MB = 10;

/**
 * What `npm install clawgate` costs a project without the optional channel packages: the packed
 * tarball, the package itself and the whole node_modules it brings. The floor is a project that
 * installs bare `ws` (the one transport dependency every gateway needs), measured in the same run.
 */
export async function installSizeSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(tmpdir(), 'clawgate-bench-install-'));
  cleanup.add('install-size work dir', () => rm(work, { recursive: true, force: true }));
  progress('install-size: packing');
  const tarball = await packPackage(work);
  progress('install-size: installing the tarball into a fresh project');
  const project = join(work, 'project');
  await installConsumer(project, tarball);
  const floorProject = join(work, 'floor');
  await installConsumer(floorProject, 'ws');
  const installed = await directoryBytes(join(project, 'node_modules'));
  const floor = await directoryBytes(join(floorProject, 'node_modules'));
  const listing = await runCommand('npm', ['ls', '--all', '--parseable'], { cwd: project });
  return {
    tarballMB: round((await stat(tarball)).size / MB, 2),
    packageMB: round((await directoryBytes(join(project, 'node_modules/clawgate'))) / MB, 2),
    installedMB: round(installed / MB, 2),
    installedPackages: listing.stdout.split('\n').filter(Boolean).length - 1,
    bareWsMB: round(floor / MB, 2),
    installedVsBareWs: ratio(installed, floor),
    targetInstalledMB: TARGET_INSTALLED_MB,
    pass: installed / MB < TARGET_INSTALLED_MB,
  };
}
