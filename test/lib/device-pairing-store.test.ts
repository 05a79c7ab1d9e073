import { chmod, mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevicePairingStore, PENDING_TTL_MS, scopesCovered } from '../../lib/device-pairing-store.js';
import { FileStorage } from '../../lib/file-storage.js';
import type { Storage } from '../../lib/storage.js';

const input = (deviceId: string) => ({ deviceId, publicKey: `pk-${deviceId}`, role: 'operator', roles: ['operator'], scopes: ['operator.read'] });

async function tempStore(now = () => Date.now()) {
  const dir = await mkdtemp(join(tmpdir(), 'oc-devices-'));
  const storage = new FileStorage(dir);
  const store = new DevicePairingStore({ storage, now });
  await store.load();
  return { dir, storage, store };
}

describe('DevicePairingStore', () => {
  it('persists pairing and tokens across a restart, with 0600 files', async () => {
    const { dir, storage, store } = await tempStore();
    const { request, created } = await store.requestPairing(input('dev1'));
    expect(created).toBe(true);
    expect((await store.requestPairing(input('dev1'))).created).toBe(false);
    await store.approve(request.requestId);
    const token = await store.ensureToken('dev1', 'operator', ['operator.read']);

    const reloaded = new DevicePairingStore({ storage, now: () => Date.now() });
    await reloaded.load();
    expect(reloaded.isPairedFor('dev1', 'operator', ['operator.read'])).toBe(true);
    expect(reloaded.isPairedFor('dev1', 'operator', ['operator.write'])).toBe(false);
    expect(reloaded.verifyToken('dev1', 'operator', token.token, ['operator.read'])).toBe(true);
    expect(reloaded.verifyToken('dev1', 'operator', token.token.replace(/.$/, 'x'), ['operator.read'])).toBe(false);
    expect(reloaded.listPending()).toEqual([]);
    for (const name of ['pending.json', 'paired.json']) {
      expect((await stat(join(dir, 'devices', name))).mode & 0o777).toBe(0o600);
    }
    expect(JSON.stringify(reloaded.listPaired())).not.toContain(token.token);
  });

  it('ignores a leftover temp file from a write killed midway', async () => {
    const { dir, storage, store } = await tempStore();
    const { request } = await store.requestPairing(input('dev1'));
    await store.approve(request.requestId);
    // A crash between writing the temp file and renaming it leaves only the temp file behind.
    await writeFile(join(dir, 'devices', '.deadbeef.tmp'), '{"dev1": {"deviceId": "dev');
    const reloaded = new DevicePairingStore({ storage, now: () => Date.now() });
    await reloaded.load();
    expect(reloaded.getPaired('dev1')?.deviceId).toBe('dev1');
  });

  it('refuses to start over a corrupt paired.json instead of wiping it', async () => {
    const { dir, storage } = await tempStore();
    await mkdir(join(dir, 'devices'));
    await writeFile(join(dir, 'devices', 'paired.json'), '{"dev1": {');
    const store = new DevicePairingStore({ storage, now: () => Date.now() });
    await expect(store.load()).rejects.toThrow(/paired\.json is unreadable/);
    expect(await readFile(join(dir, 'devices', 'paired.json'), 'utf8')).toBe('{"dev1": {');
  });

  it('changes nothing when the write fails (full disk)', async () => {
    let fail = false;
    const files = new Map<string, string>();
    const storage: Storage = {
      read: async (k) => files.get(k),
      write: async (k, d) => {
        if (fail) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        files.set(k, d);
      },
    };
    const store = new DevicePairingStore({ storage, now: () => Date.now() });
    await store.load();
    const { request } = await store.requestPairing(input('dev1'));
    fail = true;
    await expect(store.approve(request.requestId)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/ENOSPC/) });
    expect(store.getPaired('dev1')).toBeUndefined();
    expect(store.listPending().map((r) => r.requestId)).toEqual([request.requestId]);
    fail = false;
    await store.approve(request.requestId);
    expect(store.getPaired('dev1')).toBeDefined();
  });

  it('expires pending requests after five minutes', async () => {
    let now = 1_000_000;
    const { store } = await tempStore(() => now);
    const { request } = await store.requestPairing(input('dev1'));
    now += PENDING_TTL_MS + 1;
    expect(store.listPending()).toEqual([]);
    await expect(store.approve(request.requestId)).rejects.toThrow('unknown requestId');
  });

  it('serialises concurrent changes without losing any', async () => {
    const { store, dir } = await tempStore();
    const requests = await Promise.all(Array.from({ length: 25 }, (_, i) => store.requestPairing(input(`d${i}`))));
    await Promise.all(requests.map(({ request }) => store.approve(request.requestId)));
    expect(store.listPaired()).toHaveLength(25);
    const onDisk = JSON.parse(await readFile(join(dir, 'devices', 'paired.json'), 'utf8'));
    expect(Object.keys(onDisk)).toHaveLength(25);
    expect((await readdir(join(dir, 'devices'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('treats operator.admin as covering every operator scope', () => {
    expect(scopesCovered(['operator.admin'], ['operator.read', 'operator.pairing'])).toBe(true);
    expect(scopesCovered(['operator.read'], ['operator.write'])).toBe(false);
    expect(scopesCovered(['operator.admin'], ['node.x'])).toBe(false);
  });

  // Root ignores directory permissions, so this can only be observed as a normal user.
  it.skipIf(process.getuid?.() === 0)('reports an unwritable state dir as UNAVAILABLE', async () => {
    const { dir, store } = await tempStore();
    await chmod(dir, 0o500);
    await expect(store.requestPairing(input('x'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await chmod(dir, 0o700);
  });

  it('gives concurrent first connects of one device the same token', async () => {
    const { store } = await tempStore();
    const { request } = await store.requestPairing(input('dev1'));
    await store.approve(request.requestId);
    const [a, b] = await Promise.all([
      store.ensureToken('dev1', 'operator', ['operator.read']),
      store.ensureToken('dev1', 'operator', ['operator.read']),
    ]);
    expect(b.token).toBe(a.token);
    expect(store.verifyToken('dev1', 'operator', a.token, ['operator.read'])).toBe(true);
  });

  it('treats roles that name Object.prototype members as plain roles', async () => {
    const { store } = await tempStore();
    const { request } = await store.requestPairing(input('dev1'));
    await store.approve(request.requestId);
    await expect(store.revoke('dev1', 'toString')).rejects.toThrow('unknown device token');
    await expect(store.rotate('dev1', 'constructor')).rejects.toThrow('device is not paired for role constructor');
    expect(store.verifyToken('dev1', 'hasOwnProperty', 'x', [])).toBe(false);
  });
});
