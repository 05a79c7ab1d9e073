import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLogger, pruneRollingLogs, rollingLogFile } from '../../../lib/logging/file-logger.js';
import { parseLogLine } from '../../../lib/logging/parse-log-line.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-log-'));
  dirs.push(dir);
  return dir;
}

async function lines(file: string): Promise<Record<string, any>[]> {
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

describe('FileLogger', () => {
  it('writes tslog-shaped JSON lines to the dated file of the local day', async () => {
    const dir = await tempDir();
    const now = new Date(2026, 0, 9, 23, 59, 30);
    const logger = new FileLogger({ dir, now: () => now });
    logger.log('info', 'gateway/ws', 'connected', { connId: 'c1', n: 2 });
    logger.log('warn', 'gateway', 'careful');

    expect(logger.file).toBe(join(dir, 'openclaw-2026-01-09.log'));
    expect(rollingLogFile(now, dir)).toBe(logger.file);
    const [first, second] = await lines(logger.file);
    expect(first).toEqual({
      '0': 'connected',
      '1': { connId: 'c1', n: 2 },
      _meta: expect.objectContaining({
        logLevelName: 'INFO',
        logLevelId: 3,
        name: '{"subsystem":"gateway/ws"}',
        date: now.toISOString(),
      }),
      time: now.toISOString(),
    });
    expect(second!['1']).toBeUndefined();
    expect(second!._meta.logLevelName).toBe('WARN');
    expect(parseLogLine(JSON.stringify(first))).toEqual({
      time: now.toISOString(),
      level: 'info',
      subsystem: 'gateway/ws',
      message: 'connected {"connId":"c1","n":2}',
    });
  });

  it('switches to the next dated file at midnight', async () => {
    const dir = await tempDir();
    let now = new Date(2026, 0, 9, 23, 59, 59);
    const logger = new FileLogger({ dir, now: () => now });
    logger.log('info', 'gateway', 'before');
    now = new Date(2026, 0, 10, 0, 0, 1);
    logger.log('info', 'gateway', 'after');
    expect((await readdir(dir)).sort()).toEqual(['openclaw-2026-01-09.log', 'openclaw-2026-01-10.log']);
    expect((await lines(join(dir, 'openclaw-2026-01-10.log')))[0]!['0']).toBe('after');
  });

  it('honours the level (file only) and can be re-levelled; silent writes nothing', async () => {
    const dir = await tempDir();
    const file = join(dir, 'fixed.log');
    const logger = new FileLogger({ file, level: 'warn' });
    logger.log('info', 'gateway', 'dropped');
    logger.log('error', 'gateway', 'kept');
    logger.setLevel('debug');
    logger.log('debug', 'gateway', 'now kept');
    logger.setLevel('silent');
    logger.log('fatal', 'gateway', 'silent drops even fatal');
    expect((await lines(file)).map((l) => l['0'])).toEqual(['kept', 'now kept']);
    expect(logger.file).toBe(file);
  });

  it('masks secret values and secret-looking keys', async () => {
    const dir = await tempDir();
    const file = join(dir, 'fixed.log');
    const logger = new FileLogger({ file, secrets: () => ['super-secret-token-value'] });
    logger.log('info', 'gateway', 'auth with super-secret-token-value', { token: 'abc', nested: { password: 'pw' }, user: 'me' });
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('super-secret-token-value');
    expect(text).not.toContain('"abc"');
    expect(text).not.toContain('"pw"');
    const [line] = await lines(file);
    expect(line!['0']).toBe('auth with ***');
    expect(line!['1']).toEqual({ token: '***', nested: { password: '***' }, user: 'me' });
  });

  it('prunes dated files older than 24 h when it opens a dated file, and leaves other files alone', async () => {
    const dir = await tempDir();
    const now = new Date(2026, 0, 10, 12, 0, 0);
    const old = join(dir, 'openclaw-2026-01-08.log');
    const recent = join(dir, 'openclaw-2026-01-09.log');
    const other = join(dir, 'notes.log');
    for (const path of [old, recent, other]) await writeFile(path, 'x\n');
    const twoDaysAgo = new Date(now.getTime() - 48 * 3600_000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    await utimes(other, twoDaysAgo, twoDaysAgo);
    const hourAgo = new Date(now.getTime() - 3600_000);
    await utimes(recent, hourAgo, hourAgo);

    new FileLogger({ dir, now: () => now }).log('info', 'gateway', 'hello');
    expect((await readdir(dir)).sort()).toEqual(['notes.log', 'openclaw-2026-01-09.log', 'openclaw-2026-01-10.log']);
    expect(pruneRollingLogs(dir, now.getTime() - 24 * 3600_000)).toEqual([]);
  });

  it('a file that cannot be written is reported once and never throws', async () => {
    const dir = await tempDir();
    const errors: string[] = [];
    // A directory where the file should be: every append fails.
    const logger = new FileLogger({ file: dir, onError: (err, file) => errors.push(`${file}: ${err.message}`) });
    expect(() => logger.log('info', 'gateway', 'one')).not.toThrow();
    logger.log('info', 'gateway', 'two');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(dir);
  });

  it('creates the log directory 0700', async () => {
    const dir = join(await tempDir(), 'nested', 'logs');
    new FileLogger({ dir }).log('info', 'gateway', 'hello');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('rotates a file about to pass maxFileBytes: x.log → x.1.log → … → x.3.log, older copies deleted', async () => {
    const dir = await tempDir();
    const file = join(dir, 'gateway.log');
    const logger = new FileLogger({ file, maxFileBytes: 600 });
    for (let i = 0; i < 40; i++) logger.log('info', 'gateway', `line ${i}`);
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['gateway.1.log', 'gateway.2.log', 'gateway.3.log', 'gateway.log']);
    for (const name of names) expect((await stat(join(dir, name))).size).toBeLessThanOrEqual(600);
    // Nothing lost between the files kept, newest last; only the oldest lines are gone.
    const kept = [];
    for (const name of ['gateway.3.log', 'gateway.2.log', 'gateway.1.log', 'gateway.log']) kept.push(...(await lines(join(dir, name))).map((l) => l['0']));
    expect(kept.at(-1)).toBe('line 39');
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => `line ${40 - kept.length + i}`));
    expect(kept.length).toBeLessThan(40);
  });

  it('a line longer than the cap still gets written, to a file of its own', async () => {
    const dir = await tempDir();
    const file = join(dir, 'gateway.log');
    const logger = new FileLogger({ file, maxFileBytes: 100, rotatedFiles: 1 });
    logger.log('info', 'gateway', 'short');
    logger.log('info', 'gateway', 'x'.repeat(500));
    expect((await lines(file)).map((l) => l['0'])).toEqual(['x'.repeat(500)]);
    expect((await lines(join(dir, 'gateway.1.log'))).map((l) => l['0'])).toEqual(['short']);
  });

  it('rotates dated files by size within the day and still rolls over at midnight; pruning takes the rotated copies too', async () => {
    const dir = await tempDir();
    let now = new Date(2026, 0, 9, 12, 0, 0);
    const logger = new FileLogger({ dir, now: () => now, maxFileBytes: 400, rotatedFiles: 2 });
    for (let i = 0; i < 6; i++) logger.log('info', 'gateway', `day one ${i}`);
    expect((await readdir(dir)).sort()).toEqual(['openclaw-2026-01-09.1.log', 'openclaw-2026-01-09.2.log', 'openclaw-2026-01-09.log']);
    now = new Date(2026, 0, 10, 0, 0, 1);
    logger.log('info', 'gateway', 'day two');
    expect((await lines(join(dir, 'openclaw-2026-01-10.log'))).map((l) => l['0'])).toEqual(['day two']);
    const twoDaysAgo = new Date(now.getTime() - 48 * 3600_000);
    for (const name of ['openclaw-2026-01-09.1.log', 'openclaw-2026-01-09.2.log']) await utimes(join(dir, name), twoDaysAgo, twoDaysAgo);
    expect(pruneRollingLogs(dir, now.getTime() - 24 * 3600_000).sort()).toEqual([
      join(dir, 'openclaw-2026-01-09.1.log'),
      join(dir, 'openclaw-2026-01-09.2.log'),
    ]);
  });

  it('does not follow a symlink planted at the file path (logging.file), and says so once', async () => {
    const dir = await tempDir();
    const target = join(dir, 'victim.txt');
    await writeFile(target, 'precious\n');
    const file = join(dir, 'gateway.log');
    await symlink(target, file);
    const errors: string[] = [];
    const logger = new FileLogger({ file, onError: (err) => errors.push(err.message) });
    logger.log('info', 'gateway', 'one');
    logger.log('info', 'gateway', 'two');
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    expect(errors).toEqual([`${file} is a symbolic link; the file log does not follow it`]);
  });

  it('turns the dated file log off when its directory is a symlink, writing nothing through it', async () => {
    const root = await tempDir();
    const target = join(root, 'elsewhere');
    await mkdir(target);
    const dir = join(root, 'logs');
    await symlink(target, dir);
    const errors: string[] = [];
    const logger = new FileLogger({ dir, onError: (err) => errors.push(err.message) });
    logger.log('info', 'gateway', 'one');
    logger.log('info', 'gateway', 'two');
    expect(await readdir(target)).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^file logging is disabled: the log directory .* is a symbolic link/);
  });

  it("turns the dated file log off when its directory is another user's", async () => {
    const dir = join(await tempDir(), 'logs');
    await mkdir(dir);
    const errors: string[] = [];
    const logger = new FileLogger({ dir, uid: (process.getuid?.() ?? 0) + 1, onError: (err) => errors.push(err.message) });
    logger.log('info', 'gateway', 'one');
    expect(await readdir(dir)).toEqual([]);
    expect(errors[0]).toMatch(/^file logging is disabled: the log directory .* belongs to uid \d+, not to this user/);
  });
});

describe('parseLogLine', () => {
  it('returns undefined for lines that are not JSON objects', () => {
    expect(parseLogLine('plain text')).toBeUndefined();
    expect(parseLogLine('[1,2]')).toBeUndefined();
  });

  it('joins numeric keys in order and reads subsystem/module bindings', () => {
    const line = JSON.stringify({ '1': 'b', '0': 'a', '10': 'c', _meta: { name: '{"subsystem":"s","module":"m"}', logLevelName: 'ERROR', date: 'd' } });
    expect(parseLogLine(line)).toEqual({ message: 'a b c', level: 'error', subsystem: 's', module: 'm', time: 'd' });
    expect(parseLogLine(JSON.stringify({ '0': 'x', _meta: { name: 'plain' } }))).toEqual({ message: 'x', subsystem: 'plain' });
  });
});
