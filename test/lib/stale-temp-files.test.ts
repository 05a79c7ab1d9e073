import { existsSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTempFiles } from '../../lib/file-storage.js';
import { agedFiles } from '../helpers/aged-files.js';

const { tempDir, file } = agedFiles();

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
