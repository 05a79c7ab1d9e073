import { chmodSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

/**
 * Where dated gateway logs go by default: `<os temp dir>/openclaw-<uid>` (`openclaw-<user name>`
 * where there are no uids, i.e. Windows). One directory per user, because the temp dir is shared
 * and a fixed name there can be created (or symlinked) by anyone first.
 */
export function defaultLogDir(): string {
  const uid = process.getuid?.();
  return join(tmpdir(), `openclaw-${uid ?? userName()}`);
}

export interface EnsurePrivateLogDirOptions {
  /** The user the directory must belong to; default `process.getuid()`. Without uids (Windows) only symlinks are refused. */
  uid?: number;
}

/**
 * Creates `dir` (mode 0700) if needed and checks that it is ours alone: a real directory (a
 * symlink is refused, not followed), owned by `uid`, closed to group and others (tightened to
 * 0700 if it is not). Throws UNAVAILABLE saying why file logging cannot use it.
 */
export function ensurePrivateLogDir(dir: string, options: EnsurePrivateLogDirOptions = {}): void {
  const uid = options.uid ?? process.getuid?.();
  const refuse = (why: string) => new GatewayError('UNAVAILABLE', `file logging is disabled: the log directory ${dir} ${why}; remove it or set logging.file`);
  // Looked at before mkdir, which would fail with a confusing ENOENT on a dangling symlink planted at the name.
  let stats = lstatIfPresent(dir);
  if (!stats) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    stats = lstatSync(dir);
  }
  if (stats.isSymbolicLink()) throw refuse('is a symbolic link (not following it)');
  if (!stats.isDirectory()) throw refuse('is not a directory');
  if (uid === undefined) return;
  if (stats.uid !== uid) throw refuse(`belongs to uid ${stats.uid}, not to this user (uid ${uid})`);
  // It is ours: in the (sticky) temp dir nobody else can swap it between the lstat and the chmod.
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

function userName(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_') || 'user';
  } catch {
    // No passwd entry for this user (some containers): still one name, shared only by such users.
    return 'user';
  }
}

function lstatIfPresent(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
