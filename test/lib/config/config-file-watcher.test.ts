import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigFileWatcher } from '../../../lib/config/config-file-watcher.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function watched(debounceMs = 50) {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-watch-'));
  const path = join(dir, 'openclaw.json');
  await writeFile(path, '{}');
  let changes = 0;
  const waiters: (() => void)[] = [];
  const watcher = new ConfigFileWatcher({
    path,
    debounceMs: () => debounceMs,
    onChange: () => {
      changes++;
      for (const w of waiters.splice(0)) w();
    },
  });
  watcher.start();
  cleanups.push(() => watcher.close(), () => rm(dir, { recursive: true, force: true }));
  const nextChange = (timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no change event')), timeoutMs);
      waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return { dir, path, nextChange, changes: () => changes, watcher };
}

describe('ConfigFileWatcher', () => {
  it('fires once for a burst of writes (debounced)', async () => {
    const w = await watched(300);
    const next = w.nextChange();
    for (let i = 0; i < 5; i++) await writeFile(w.path, JSON.stringify({ i }));
    await next;
    await new Promise((r) => setTimeout(r, 300));
    expect(w.changes()).toBe(1);
  });

  it('keeps watching after editors replace the file by rename, again and again', async () => {
    const w = await watched();
    for (let i = 0; i < 3; i++) {
      const next = w.nextChange();
      const tmp = join(w.dir, `.openclaw.json.swp${i}`);
      await writeFile(tmp, JSON.stringify({ round: i }));
      await rename(tmp, w.path);
      await next;
    }
    expect(w.changes()).toBe(3);
  });

  it('ignores other files in the directory and stops after close', async () => {
    const w = await watched();
    await writeFile(join(w.dir, 'other.json'), '{}');
    await new Promise((r) => setTimeout(r, 200));
    expect(w.changes()).toBe(0);
    w.watcher.close();
    await writeFile(w.path, '{"after":"close"}');
    await new Promise((r) => setTimeout(r, 200));
    expect(w.changes()).toBe(0);
  });

  it('a missing directory cannot be watched: start throws', () => {
    const watcher = new ConfigFileWatcher({ path: join(tmpdir(), 'no-such-dir-openclaw', 'x.json'), debounceMs: () => 10, onChange: () => {} });
    expect(() => watcher.start()).toThrow();
  });
});
