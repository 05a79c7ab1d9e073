import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLeaseProvider } from '../../runtime/file-lease-provider.js';
import { holderProcess } from '../helpers/lease-holder.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function lockDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-leases-'));
  dirs.push(dir);
  return join(dir, 'locks');
}

describe('FileLeaseProvider (OS file locks)', () => {
  it('lets one holder at a time take a key, with a fencing token that grows on every acquisition', async () => {
    const dir = await lockDir();
    const a = new FileLeaseProvider({ dir });
    const b = new FileLeaseProvider({ dir });
    const first = await a.tryAcquire('telegram-default', { ttlMs: 1000 });
    expect(first).toMatchObject({ key: 'telegram-default', fencingToken: 1 });
    expect(await b.tryAcquire('telegram-default', { ttlMs: 1000 })).toBeUndefined();
    // Other keys are independent.
    const other = await b.tryAcquire('whatsapp-default', { ttlMs: 1000 });
    expect(other?.fencingToken).toBe(1);

    await first!.release();
    await first!.release();
    const second = await b.tryAcquire('telegram-default', { ttlMs: 1000 });
    expect(second?.fencingToken).toBe(2);
    expect(await readFile(join(dir, 'telegram-default.token'), 'utf8')).toBe('2\n');
    expect(JSON.parse(await readFile(join(dir, 'telegram-default.lock'), 'utf8'))).toMatchObject({ pid: process.pid, fencingToken: 2 });
    expect(b.describe('telegram-default')).toBe(join(dir, 'telegram-default.lock'));
    await second!.release();
    await other!.release();
  });

  it('renews while the lock file is ours and reports the lease lost when the file was removed', async () => {
    const dir = await lockDir();
    let now = 1000;
    const provider = new FileLeaseProvider({ dir, now: () => now });
    const lease = (await provider.tryAcquire('whatsapp-default', { ttlMs: 30_000 }))!;
    expect(lease.expiresAt).toBe(31_000);
    now = 5000;
    await lease.renew();
    expect(lease.expiresAt).toBe(35_000);

    const lost: string[] = [];
    lease.onLost((reason) => lost.push(reason));
    await rm(join(dir, 'whatsapp-default.lock'));
    await expect(lease.renew()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('removed or replaced') });
    expect(lost).toEqual([expect.stringContaining('removed or replaced')]);
    // A new holder gets a new file and a larger token.
    const next = await provider.tryAcquire('whatsapp-default', { ttlMs: 30_000 });
    expect(next?.fencingToken).toBe(2);
    await next!.release();
  });

  it('a lock dies with its process: after SIGKILL the key is free again, no stale file to clean up', async () => {
    const dir = await lockDir();
    const holder = holderProcess(dir, 'telegram-default');
    expect(await holder.said).toBe('held 1');
    const provider = new FileLeaseProvider({ dir });
    expect(await provider.tryAcquire('telegram-default', { ttlMs: 1000 })).toBeUndefined();
    holder.child.kill('SIGKILL');
    expect(await holder.exited).toBe('SIGKILL');
    const taken = await provider.tryAcquire('telegram-default', { ttlMs: 1000 });
    expect(taken?.fencingToken).toBe(2);
    await taken!.release();
  });
});
