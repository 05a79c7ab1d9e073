import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledCli, cliEnv, spawnListening, wallTime } from '../cli-bundle.js';
import type { Cleanup } from '../log.js';
import { progress } from '../log.js';
import { row } from '../rows.js';
import { median, ratio, round } from '../stats.js';

const RUNS = 9;
const TOKEN = 'bench-cli-token';

/**
 * `openclaw --version` and `openclaw health` (against a running gateway) as a user runs them, from
 * the CLI built like `dist/`, against the wall time of a bare `node -e 0` measured in the same
 * iterations (interleaved, so load from other processes hits all three alike).
 */
export async function cliSection(cleanup: Cleanup): Promise<Record<string, unknown>> {
  const { entry } = await bundledCli();
  const work = mkdtempSync(join(tmpdir(), 'openclaw-bench-cli-run-'));
  cleanup.add('cli temp dir', () => rmSync(work, { recursive: true, force: true }));
  const gatewayEnv = cliEnv(join(work, 'gateway'));
  const clientEnv = cliEnv(join(work, 'client'));

  const gw = await spawnListening('cli gateway', (p) => [entry, 'gateway', '--allow-unconfigured', '--port', String(p), '--token', TOKEN], { env: gatewayEnv, cleanup });
  const url = `ws://127.0.0.1:${gw.port}`;

  const commands = {
    nodeFloor: ['-e', '0'],
    version: [entry, '--version'],
    health: [entry, 'health', '--url', url, '--token', TOKEN],
  } as const;
  const times: Record<keyof typeof commands, number[]> = { nodeFloor: [], version: [], health: [] };
  progress(`cli: node -e 0, openclaw --version, openclaw health — 1 warm-up + ${RUNS} runs each, interleaved`);
  for (let i = 0; i <= RUNS; i++) {
    for (const [name, args] of Object.entries(commands) as Array<[keyof typeof commands, readonly string[]]>) {
      const ms = await wallTime([...args], clientEnv);
      if (i > 0) times[name].push(ms);
    }
  }
  const med = (k: keyof typeof commands) => round(median(times[k]), 1);
  const floor = med('nodeFloor');
  const versionRatio = ratio(med('version'), floor);
  const healthRatio = ratio(med('health'), floor);
  return {
    runs: RUNS,
    cli: 'esbuild bundle of bin/openclaw.ts as tsup builds dist/ (splitting, deps external)',
    nodeFloorMs: floor,
    versionMs: med('version'),
    healthMs: med('health'),
    samplesMs: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => round(x, 1))])),
    versionRatio,
    healthRatio,
    targets: { version: '<= 1.5 x node -e 0', health: '<= 3 x node -e 0' },
    passVersion: versionRatio <= 1.5,
    passHealth: healthRatio <= 3,
    pass: versionRatio <= 1.5 && healthRatio <= 3,
    rows: [
      row('`openclaw --version` wall', `${med('version')} ms`, `${floor} ms (node -e 0)`, versionRatio, '≤ 1.5×', versionRatio <= 1.5),
      row('`openclaw health` wall', `${med('health')} ms`, `${floor} ms (node -e 0)`, healthRatio, '≤ 3×', healthRatio <= 3),
    ],
  };
}
