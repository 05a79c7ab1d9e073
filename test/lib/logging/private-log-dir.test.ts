import { chmod, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultLogDir, ensurePrivateLogDir } from '../../../lib/logging/private-log-dir.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-logdir-'));
  dirs.push(dir);
  return dir;
}

const uid = process.getuid?.();

describe('defaultLogDir', () => {
  it('is per user in the OS temp dir, not the shared /tmp/openclaw', () => {
    expect(defaultLogDir()).not.toBe('/tmp/openclaw');
    expect(defaultLogDir()).toBe(join(tmpdir(), `openclaw-${uid ?? expect.any(String)}`));
  });
});

describe.skipIf(uid === undefined)('ensurePrivateLogDir', () => {
  it('creates a missing directory 0700', async () => {
    const dir = join(await tempDir(), 'logs');
    ensurePrivateLogDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('tightens a directory of ours that group or others can open to 0700', async () => {
    const dir = join(await tempDir(), 'logs');
    await mkdir(dir);
    await chmod(dir, 0o777);
    ensurePrivateLogDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('refuses a symlink, even to a directory of ours, and leaves it as it is', async () => {
    const root = await tempDir();
    const target = join(root, 'elsewhere');
    await mkdir(target, { mode: 0o755 });
    await chmod(target, 0o755);
    const dir = join(root, 'logs');
    await symlink(target, dir);
    expect(() => ensurePrivateLogDir(dir)).toThrow(`file logging is disabled: the log directory ${dir} is a symbolic link (not following it)`);
    expect((await stat(target)).mode & 0o777).toBe(0o755);
  });

  it('refuses a dangling symlink (someone planted the name before us)', async () => {
    const root = await tempDir();
    const dir = join(root, 'logs');
    await symlink(join(root, 'missing'), dir);
    expect(() => ensurePrivateLogDir(dir)).toThrow('is a symbolic link');
  });

  it("refuses another user's directory without touching its mode", async () => {
    const dir = join(await tempDir(), 'logs');
    await mkdir(dir);
    await chmod(dir, 0o777);
    expect(() => ensurePrivateLogDir(dir, { uid: uid! + 1 })).toThrow(`belongs to uid ${uid}, not to this user (uid ${uid! + 1})`);
    expect((await stat(dir)).mode & 0o777).toBe(0o777);
  });
});
