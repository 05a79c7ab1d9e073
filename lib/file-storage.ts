import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { AppendStorage } from './storage.js';

/**
 * Files under a root directory, written atomically (temp file, fsync, rename) with mode 0600 in
 * 0700 directories, so a crash mid-write leaves the previous content intact.
 */
export class FileStorage implements AppendStorage {
  readonly root: string;
  /** Per-key write chains: concurrent writes to one file land in call order. */
  readonly #chains = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  locate(key: string): string {
    const path = resolve(this.root, key);
    if (path !== this.root && !path.startsWith(this.root + sep)) {
      throw new Error(`storage key escapes the state dir: ${key}`);
    }
    return path;
  }

  async read(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.locate(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  write(key: string, data: string): Promise<void> {
    return this.#chain(key, () => writeAtomic(this.locate(key), data));
  }

  remove(key: string): Promise<void> {
    return this.#chain(key, () => rm(this.locate(key), { force: true }));
  }

  /** Atomic against this process's writers (one chain per key); other processes do not share a state dir's files for writing. */
  async compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    let swapped = false;
    await this.#chain(key, async () => {
      if ((await this.read(key)) !== expected) return;
      if (next === undefined) await rm(this.locate(key), { force: true });
      else await writeAtomic(this.locate(key), next);
      swapped = true;
    });
    return swapped;
  }

  /** Appends and fsyncs before resolving, so an acknowledged line survives a crash. */
  append(key: string, data: string): Promise<void> {
    return this.#chain(key, () => appendDurable(this.locate(key), data));
  }

  #chain(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.#chains.set(key, next);
    // The caller sees a failure through `next`; the chain only needs it finished.
    const settled = () => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    };
    next.then(settled, settled);
    return next;
  }
}

async function appendDurable(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, 'a', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** `data` may be bytes (audio files), written as they are. */
export async function writeAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = await writeTemp(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Creates `path` atomically only if it does not exist yet; returns false when another writer got
 * there first (hard links, unlike renames, never replace an existing file).
 */
export async function createAtomic(path: string, data: string, mode = 0o600): Promise<boolean> {
  const tmp = await writeTemp(path, data, mode);
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function writeTemp(path: string, data: string | Uint8Array, mode: number): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  return tmp;
}

const TEMP_NAME = /^\.[0-9a-f]{12}\.tmp$/;

/**
 * Deletes the temp files a crash mid-write left behind (`writeAtomic` / `createAtomic` copies)
 * under `root`, a few levels deep. Only ones older than `olderThanMs` go, so a write in progress
 * in another process is never pulled from under it; symlinks are not followed.
 */
export async function removeStaleTempFiles(root: string, options: { olderThanMs?: number; now?: number; maxDepth?: number } = {}): Promise<string[]> {
  const cutoff = (options.now ?? Date.now()) - (options.olderThanMs ?? 60_000);
  const removed: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && depth < (options.maxDepth ?? 5)) await visit(path, depth + 1);
      else if (entry.isFile() && TEMP_NAME.test(entry.name)) {
        const info = await lstat(path).catch(() => undefined);
        if (info && info.mtimeMs < cutoff) {
          await rm(path, { force: true });
          removed.push(path);
        }
      }
    }
  };
  await visit(root, 0);
  return removed;
}
