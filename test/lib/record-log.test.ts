import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../lib/file-storage.js';
import { RecordLog } from '../../lib/record-log.js';
import { MemoryStorage, type Storage } from '../../lib/storage.js';

describe('RecordLog', () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('keeps every change that resolved for the next instance (a process started after a crash)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-log-'));
    const storage = new FileStorage(dir);
    const first = new RecordLog<{ n: number }>({ storage, key: 'x/log.jsonl' });
    await first.write([['a', { n: 1 }]]);
    await first.write([
      ['b', { n: 2 }],
      ['a', undefined],
    ]);
    const second = new RecordLog<{ n: number }>({ storage, key: 'x/log.jsonl' });
    expect([...(await second.load())]).toEqual([['b', { n: 2 }]]);
  });

  it('skips a torn last line and keeps the next change whole', async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-log-'));
    const storage = new FileStorage(dir);
    await new RecordLog<{ n: number }>({ storage, key: 'log.jsonl' }).write([['a', { n: 1 }]]);
    // A crash in the middle of an append.
    await appendFile(join(dir, 'log.jsonl'), '{"k":"b","v":{"n"');
    const lines: string[] = [];
    const log = new RecordLog<{ n: number }>({ storage, key: 'log.jsonl', logger: { log: (_l, _s, m) => lines.push(m) } });
    await log.write([['c', { n: 3 }]]);
    expect(lines).toEqual([expect.stringContaining('skipped 1 unreadable line')]);
    expect([...(await new RecordLog<{ n: number }>({ storage, key: 'log.jsonl' }).load())]).toEqual([
      ['a', { n: 1 }],
      ['c', { n: 3 }],
    ]);
  });

  it('a failed append (a full disk) neither tears the next change nor brings the failed one back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-log-'));
    const files = new FileStorage(dir);
    let failures = 0;
    // The disk fills in the middle of a line: part of it lands, the append reports the error.
    const storage = Object.assign(Object.create(files) as FileStorage, {
      append: async (key: string, data: string) => {
        if (failures > 0) {
          failures--;
          await files.append(key, data.slice(0, 10));
          throw new Error('ENOSPC: no space left on device');
        }
        return files.append(key, data);
      },
      write: (key: string, data: string) => files.write(key, data),
      read: (key: string) => files.read(key),
    });
    const log = new RecordLog<{ n: number }>({ storage, key: 'log.jsonl' });
    await log.write([['a', { n: 1 }]]);
    failures = 1;
    await expect(log.write([['b', { n: 2 }]])).rejects.toThrow(/ENOSPC/);
    await log.write([['c', { n: 3 }]]);
    expect([...(await new RecordLog<{ n: number }>({ storage: files, key: 'log.jsonl' }).load())]).toEqual([
      ['a', { n: 1 }],
      ['c', { n: 3 }],
    ]);
  });

  it('rewrites the file once dead lines outnumber live records', async () => {
    const storage = new MemoryStorage();
    const log = new RecordLog<number>({ storage, key: 'log.jsonl' });
    for (let i = 0; i < 200; i++) await log.write([[`k${i}`, i], ...(i > 0 ? [[`k${i - 1}`, undefined] as const] : [])]);
    const text = (await storage.read('log.jsonl'))!;
    expect(text.trim().split('\n').length).toBeLessThan(140);
    expect([...(await new RecordLog<number>({ storage, key: 'log.jsonl' }).load())]).toEqual([['k199', 199]]);
  });

  it('works over storage that cannot append (a whole-file write per change)', async () => {
    const inner = new MemoryStorage();
    const storage: Storage = { read: (k) => inner.read(k), write: (k, d) => inner.write(k, d) };
    const log = new RecordLog<string>({ storage, key: 'log.jsonl' });
    await Promise.all([log.write([['a', 'x']]), log.write([['b', 'y']]), log.write([['a', undefined]])]);
    expect(await inner.read('log.jsonl')).toBe('{"k":"b","v":"y"}\n');
  });

  it('computes an update from the records as they are when its turn comes', async () => {
    const log = new RecordLog<number>({ storage: new MemoryStorage(), key: 'log.jsonl' });
    const bumps = Array.from({ length: 5 }, () => log.update((records) => [['n', (records.get('n') ?? 0) + 1]]));
    await Promise.all(bumps);
    expect((await log.load()).get('n')).toBe(5);
  });

  it('writes one JSON line per change to the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-log-'));
    const storage = new FileStorage(dir);
    const log = new RecordLog<string>({ storage, key: 'log.jsonl' });
    await log.write([['a', 'one']]);
    expect(await readFile(join(dir, 'log.jsonl'), 'utf8')).toBe('{"k":"a","v":"one"}\n');
  });
});
