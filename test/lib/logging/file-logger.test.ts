import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
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
