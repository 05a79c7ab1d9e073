import { spawnSync } from 'node:child_process';

let cached: string | undefined;

/** The soft fd limit as `ulimit -n` reports it (Node has no API for it). */
export function fdLimit(): string {
  if (cached === undefined) {
    const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
    cached = r.status === 0 ? r.stdout.trim() : 'unknown';
  }
  return cached;
}
