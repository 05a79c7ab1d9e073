import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { readLogTail, resolveLogFile } from '../../../lib/logging/log-tail.js';
import { logsPlugin } from '../../../lib/plugins/logs-plugin.js';
import { call } from '../../helpers/connect.js';
import { callOk, memoryPeer } from '../../helpers/memory-peer.js';
import { createTestGateway } from '../../transports/contract.js';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-tail-'));
  dirs.push(dir);
  return dir;
}

/** A file of `n` lines `line-0` … `line-(n-1)`, each 7+ bytes. */
async function logFile(n: number, name = 'openclaw-2026-01-09.log'): Promise<string> {
  const file = join(await tempDir(), name);
  await writeFile(file, Array.from({ length: n }, (_, i) => `line-${i}\n`).join(''));
  return file;
}

describe('readLogTail (protocol §6.10)', () => {
  it('without a cursor returns the whole small file and cursor = size', async () => {
    const file = await logFile(3);
    const result = await readLogTail({ file });
    expect(result).toEqual({ file, cursor: 21, size: 21, lines: ['line-0', 'line-1', 'line-2'] });
  });

  it('without a cursor reads the last maxBytes, drops the cut first line and says truncated', async () => {
    const file = await logFile(10); // 70 bytes; line-9 starts at 63
    const result = await readLogTail({ file, maxBytes: 10 });
    // Bytes 60..69 are "-8\nline-9\n": the partial "-8" is dropped.
    expect(result).toEqual({ file, cursor: 70, size: 70, lines: ['line-9'], truncated: true });
    // A window that starts exactly on a line boundary keeps its first line.
    expect((await readLogTail({ file, maxBytes: 14 })).lines).toEqual(['line-8', 'line-9']);
  });

  it('with a cursor returns only what was appended since, then nothing', async () => {
    const file = await logFile(2);
    const first = await readLogTail({ file });
    await appendFile(file, 'line-2\nline-3\n');
    const second = await readLogTail({ file, cursor: first.cursor });
    expect(second).toEqual({ file, cursor: 28, size: 28, lines: ['line-2', 'line-3'] });
    expect(await readLogTail({ file, cursor: second.cursor })).toEqual({ file, cursor: 28, size: 28, lines: [] });
  });

  it('a cursor past the end (file replaced) resets to the tail', async () => {
    const file = await logFile(2);
    const result = await readLogTail({ file, cursor: 1000 });
    expect(result).toEqual({ file, cursor: 14, size: 14, lines: ['line-0', 'line-1'], reset: true });
    expect(await readLogTail({ file, cursor: 1000, maxBytes: 7 })).toEqual({ file, cursor: 14, size: 14, lines: ['line-1'], reset: true, truncated: true });
  });

  it('a gap larger than maxBytes jumps ahead with reset + truncated', async () => {
    const file = await logFile(10);
    const result = await readLogTail({ file, cursor: 7, maxBytes: 14 });
    expect(result).toEqual({ file, cursor: 70, size: 70, lines: ['line-8', 'line-9'], reset: true, truncated: true });
  });

  it('keeps the last `limit` lines', async () => {
    const file = await logFile(10);
    expect((await readLogTail({ file, limit: 2 })).lines).toEqual(['line-8', 'line-9']);
  });

  it('falls back to the newest dated file when today\'s does not exist yet', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'openclaw-2026-01-07.log'), 'old\n');
    await writeFile(join(dir, 'openclaw-2026-01-08.log'), 'newest\n');
    await writeFile(join(dir, 'unrelated.log'), 'other\n');
    const today = join(dir, 'openclaw-2026-01-09.log');
    const result = await readLogTail({ file: today });
    expect(result.file).toBe(join(dir, 'openclaw-2026-01-08.log'));
    expect(result.lines).toEqual(['newest']);
    // A configured (non-dated) file never falls back.
    expect(await resolveLogFile(join(dir, 'custom.log'))).toBe(join(dir, 'custom.log'));
  });

  it('a missing file is an empty read', async () => {
    const file = join(await tempDir(), 'none', 'openclaw-2026-01-09.log');
    expect(await readLogTail({ file })).toEqual({ file, cursor: 0, size: 0, lines: [] });
  });

  it('a read failure is UNAVAILABLE "log read failed: …"', async () => {
    const dir = await tempDir();
    const file = join(dir, 'is-a-dir.log');
    await mkdir(file);
    const err = await readLogTail({ file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('UNAVAILABLE');
    expect((err as GatewayError).message).toMatch(/^log read failed: /);
  });
});

describe('logs.tail method', () => {
  it('reads the host\'s current log file; read scope is enough; params are validated', async () => {
    const file = await logFile(3);
    const gateway = createTestGateway();
    gateway.use(logsPlugin({ file: () => file }));
    await gateway.start();
    closers.push(() => gateway.close());

    const reader = await memoryPeer(gateway, ['operator.read']);
    const result = await callOk(reader, 'logs.tail', { limit: 2 });
    expect(result).toEqual({ file, cursor: 21, size: 21, lines: ['line-1', 'line-2'] });
    await appendFile(file, 'line-3\n');
    expect((await callOk(reader, 'logs.tail', { cursor: result.cursor })).lines).toEqual(['line-3']);

    const bad = await call(reader, 'logs.tail', { limit: 0 });
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('INVALID_REQUEST');
    const tooBig = await call(reader, 'logs.tail', { maxBytes: 1_000_001 });
    expect(tooBig.error.code).toBe('INVALID_REQUEST');

    const nobody = await memoryPeer(gateway, ['operator.pairing']);
    const denied = await call(nobody, 'logs.tail', {});
    expect(denied.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'missing scope: operator.read' });
  });

  it('a read failure reaches the client as UNAVAILABLE', async () => {
    const dir = await tempDir();
    const gateway = createTestGateway();
    gateway.use(logsPlugin({ file: () => dir }));
    await gateway.start();
    closers.push(() => gateway.close());
    const peer = await memoryPeer(gateway);
    const res = await call(peer, 'logs.tail', {});
    expect(res.error.code).toBe('UNAVAILABLE');
    expect(res.error.message).toMatch(/^log read failed: /);
  });
});
