import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles } from '../../lib/file-storage.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-stale-'));
  dirs.push(dir);
  return dir;
}

async function file(path: string, ageMs: number): Promise<string> {
  await writeFile(path, 'x');
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

describe('temp files an interrupted write left behind', () => {
  it('are removed when old; fresh ones, real files and anything behind a symlink stay', async () => {
    const state = await tempDir();
    const outside = await tempDir();
    await mkdir(join(state, 'agents/main/sessions'), { recursive: true });
    const oldTop = await file(join(state, '.0123456789ab.tmp'), 10 * 60_000);
    const oldDeep = await file(join(state, 'agents/main/sessions/.abcdefabcdef.tmp'), 10 * 60_000);
    const fresh = await file(join(state, '.111111111111.tmp'), 0);
    const real = await file(join(state, 'openclaw.json'), 10 * 60_000);
    const lookalike = await file(join(state, 'notes.tmp'), 10 * 60_000);
    const foreign = await file(join(outside, '.222222222222.tmp'), 10 * 60_000);
    await symlink(outside, join(state, 'linked'));

    const removed = await removeStaleTempFiles(state);
    expect(removed.sort()).toEqual([oldDeep, oldTop].sort());
    for (const kept of [fresh, real, lookalike, foreign]) expect(existsSync(kept), kept).toBe(true);
  });
});
