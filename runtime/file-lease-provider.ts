import { mkdir, open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayError } from '../lib/errors.js';
import { writeAtomic } from '../lib/file-storage.js';
import type { Lease, LeaseAcquireOptions, LeaseProvider } from '../lib/lease.js';

export interface FileLeaseProviderOptions {
  /** Where the lock files live: `<state>/locks`. */
  dir: string;
  now?: () => number;
}

type NativeLocks = { tryLock(fd: number): boolean; unlock(fd: number): void };

let nativeLocks: Promise<NativeLocks> | undefined;

/**
 * The native module loads on the first lease, not with the package: a platform without a
 * prebuilt binary only loses channel ownership, and says so in the account's status.
 */
function loadNativeLocks(): Promise<NativeLocks> {
  nativeLocks ??= import('fs-native-extensions').then(
    (mod) => mod.default,
    (err: unknown) => {
      nativeLocks = undefined;
      throw new GatewayError('UNAVAILABLE', `OS file locks are unavailable here (fs-native-extensions: ${(err as Error).message})`, { cause: err });
    },
  );
  return nativeLocks;
}

/**
 * Leases as OS file locks, one file per key under `dir` (`telegram-default.lock`). The lock is the
 * kernel's, on an open file description (Linux open-file-description locks, BSD `flock` on macOS,
 * `LockFileEx` on Windows, all through the prebuilt `fs-native-extensions`), so it dies with the
 * process that held it, SIGKILL included: no pid files, no staleness by clock. Lock files are
 * never deleted (deleting one would let a second process lock a new file of the same name while
 * the first still holds the old one); renewing checks the path still names the locked file.
 *
 * The fencing token is a counter in `<key>.token` next to the lock, read and rewritten atomically
 * while the lock is held, so it grows with every acquisition across processes and restarts.
 * The TTL only sets `expiresAt`: an OS lock does not lapse while its process lives.
 */
export class FileLeaseProvider implements LeaseProvider {
  readonly #dir: string;
  readonly #now: () => number;

  constructor(options: FileLeaseProviderOptions) {
    this.#dir = options.dir;
    this.#now = options.now ?? Date.now;
  }

  describe(key: string): string {
    return this.#path(key, 'lock');
  }

  async tryAcquire(key: string, options: LeaseAcquireOptions): Promise<Lease | undefined> {
    const native = await loadNativeLocks();
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const path = this.#path(key, 'lock');
    const handle = await open(path, 'a+', 0o600);
    let locked = false;
    try {
      locked = native.tryLock(handle.fd);
      if (!locked) {
        await handle.close();
        return undefined;
      }
      const identity = await handle.stat();
      // Somebody removed or replaced the file between our open and our lock: ours is an orphan.
      if (!(await sameFile(path, identity))) throw new GatewayError('UNAVAILABLE', `the lock file ${path} was replaced while locking it`);
      const tokenPath = this.#path(key, 'token');
      const previous = Number.parseInt((await readFile(tokenPath, 'utf8').catch(() => '0')).trim(), 10);
      const fencingToken = (Number.isSafeInteger(previous) && previous > 0 ? previous : 0) + 1;
      await writeAtomic(tokenPath, `${fencingToken}\n`);
      // Who holds it, for a person looking at the file; nothing reads it back.
      await handle.truncate(0);
      await handle.write(`${JSON.stringify({ pid: process.pid, fencingToken, since: new Date(this.#now()).toISOString() })}\n`);
      return new FileLease({ key, path, handle, identity, native, fencingToken, ttlMs: options.ttlMs, now: this.#now });
    } catch (err) {
      if (locked) native.unlock(handle.fd);
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  #path(key: string, ext: string): string {
    return join(this.#dir, `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.${ext}`);
  }
}

interface FileIdentity {
  dev: number;
  ino: number;
}

async function sameFile(path: string, identity: FileIdentity): Promise<boolean> {
  try {
    const now = await stat(path);
    return now.dev === identity.dev && now.ino === identity.ino;
  } catch {
    return false;
  }
}

interface FileLeaseInit {
  key: string;
  path: string;
  handle: FileHandle;
  identity: FileIdentity;
  native: NativeLocks;
  fencingToken: number;
  ttlMs: number;
  now: () => number;
}

class FileLease implements Lease {
  readonly key: string;
  readonly fencingToken: number;
  #expiresAt: number;
  readonly #init: FileLeaseInit;
  readonly #lostListeners = new Set<(reason: string) => void>();
  #state: 'held' | 'lost' | 'released' = 'held';

  constructor(init: FileLeaseInit) {
    this.#init = init;
    this.key = init.key;
    this.fencingToken = init.fencingToken;
    this.#expiresAt = init.now() + init.ttlMs;
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  async renew(): Promise<void> {
    if (this.#state !== 'held') throw new GatewayError('UNAVAILABLE', `lease ${this.key} is ${this.#state}`);
    if (!(await sameFile(this.#init.path, this.#init.identity))) {
      const reason = `the lock file ${this.#init.path} was removed or replaced`;
      await this.#close();
      if (this.#state === 'held') {
        this.#state = 'lost';
        for (const listener of [...this.#lostListeners]) listener(reason);
      }
      throw new GatewayError('UNAVAILABLE', reason);
    }
    this.#expiresAt = this.#init.now() + this.#init.ttlMs;
  }

  onLost(listener: (reason: string) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  async release(): Promise<void> {
    if (this.#state !== 'held') return;
    this.#state = 'released';
    await this.#close();
  }

  async #close(): Promise<void> {
    const { handle, native } = this.#init;
    try {
      native.unlock(handle.fd);
    } catch {
      // Closing the descriptor below drops the lock anyway.
    }
    await handle.close().catch(() => undefined);
  }
}
