import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/** Temp dirs removed after each test, and files with a chosen age (mtime). */
export function agedFiles(): { tempDir(): Promise<string>; file(path: string, ageMs: number): Promise<string> } {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    async tempDir() {
      const dir = await mkdtemp(join(tmpdir(), 'openclaw-stale-'));
      dirs.push(dir);
      return dir;
    },
    async file(path, ageMs) {
      await writeFile(path, 'x');
      const when = new Date(Date.now() - ageMs);
      await utimes(path, when, when);
      return path;
    },
  };
}
