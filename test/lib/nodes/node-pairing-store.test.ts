import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../../lib/file-storage.js';
import { NodePairingStore } from '../../../lib/nodes/node-pairing-store.js';
import { PENDING_TTL_MS } from '../../../lib/pairing-state.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempStore(now = () => Date.now()) {
  const dir = await mkdtemp(join(tmpdir(), 'oc-nodes-'));
  dirs.push(dir);
  const storage = new FileStorage(dir);
  const store = new NodePairingStore({ storage, now });
  await store.load();
  return { dir, storage, store };
}

describe('NodePairingStore', () => {
  it('pairs with a fresh 32-hex token on every approval and survives a restart in 0600 files', async () => {
    const { dir, storage, store } = await tempStore();
    const first = await store.request({ nodeId: 'n1', displayName: 'Pi', caps: ['canvas'], commands: ['canvas.eval'] });
    expect(first).toMatchObject({ created: true, request: { nodeId: 'n1', displayName: 'Pi', isRepair: false, ts: expect.any(Number) } });
    const again = await store.request({ nodeId: 'n1', displayName: 'Other name' });
    expect(again).toEqual({ created: false, request: first.request });
    const node = await store.approve(first.request.requestId);
    expect(node).toMatchObject({ nodeId: 'n1', displayName: 'Pi', caps: ['canvas'], commands: ['canvas.eval'] });
    expect(node.token).toMatch(/^[0-9a-f]{32}$/);
    expect(node).not.toHaveProperty('isRepair');
    expect(node).not.toHaveProperty('requestId');

    const repair = await store.request({ nodeId: 'n1' });
    expect(repair.request.isRepair).toBe(true);
    const reapproved = await store.approve(repair.request.requestId);
    expect(reapproved.token).not.toBe(node.token);
    expect(reapproved.createdAtMs).toBe(node.createdAtMs);

    const reloaded = new NodePairingStore({ storage, now: () => Date.now() });
    await reloaded.load();
    expect(reloaded.verify('n1', reapproved.token)).toEqual({ ok: true, node: reapproved });
    expect(reloaded.verify('n1', node.token)).toEqual({ ok: false });
    expect(reloaded.verify('n2', node.token)).toEqual({ ok: false });
    expect(reloaded.listPending()).toEqual([]);
    for (const name of ['pending.json', 'paired.json']) {
      expect((await stat(join(dir, 'nodes', name))).mode & 0o777).toBe(0o600);
    }
  });

  it('lists pending newest first and paired by approval time, and rejects', async () => {
    let now = 1_000_000;
    const { store } = await tempStore(() => now);
    const a = await store.request({ nodeId: 'a' });
    now += 10;
    const b = await store.request({ nodeId: 'b' });
    now += 10;
    const c = await store.request({ nodeId: 'c' });
    expect(store.listPending().map((r) => r.nodeId)).toEqual(['c', 'b', 'a']);
    await store.approve(b.request.requestId);
    now += 10;
    await store.approve(a.request.requestId);
    expect(store.listPaired().map((n) => n.nodeId)).toEqual(['a', 'b']);
    expect(await store.reject(c.request.requestId)).toEqual({ requestId: c.request.requestId, nodeId: 'c' });
    await expect(store.reject(c.request.requestId)).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unknown requestId' });
    expect(store.listPending()).toEqual([]);
    expect((await store.rename('a', 'Renamed'))?.displayName).toBe('Renamed');
    expect(await store.rename('zzz', 'x')).toBeUndefined();
  });

  it('expires pending requests after five minutes; a new request for the node then gets a new id', async () => {
    let now = 1_000_000;
    const { store } = await tempStore(() => now);
    const { request } = await store.request({ nodeId: 'n1' });
    now += PENDING_TTL_MS + 1;
    expect(store.listPending()).toEqual([]);
    await expect(store.approve(request.requestId)).rejects.toThrow('unknown requestId');
    const next = await store.request({ nodeId: 'n1' });
    expect(next.created).toBe(true);
    expect(next.request.requestId).not.toBe(request.requestId);
  });

  it('ignores a leftover temp file, and refuses a corrupt paired.json without touching it', async () => {
    const { dir, storage, store } = await tempStore();
    const { request } = await store.request({ nodeId: 'n1' });
    await store.approve(request.requestId);
    await writeFile(join(dir, 'nodes', '.0badc0ffee0.tmp'), '{"n1": {"nodeId": "n');
    const reloaded = new NodePairingStore({ storage, now: () => Date.now() });
    await reloaded.load();
    expect(reloaded.getPaired('n1')?.nodeId).toBe('n1');

    await writeFile(join(dir, 'nodes', 'paired.json'), '{"n1": {');
    const broken = new NodePairingStore({ storage, now: () => Date.now() });
    await expect(broken.load()).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/node pairing state .*paired\.json is unreadable/) });
    expect(await readFile(join(dir, 'nodes', 'paired.json'), 'utf8')).toBe('{"n1": {');
  });

  it('serialises concurrent requests and approvals without losing any', async () => {
    const { dir, store } = await tempStore();
    const requests = await Promise.all(Array.from({ length: 30 }, (_, i) => store.request({ nodeId: `n${i}` })));
    await Promise.all(requests.map(({ request }) => store.approve(request.requestId)));
    expect(store.listPaired()).toHaveLength(30);
    expect(Object.keys(JSON.parse(await readFile(join(dir, 'nodes', 'paired.json'), 'utf8')))).toHaveLength(30);
    expect((await readdir(join(dir, 'nodes'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a process killed mid-write never leaves a store that fails to load or loses a finished approval', async () => {
    const { dir } = await tempStore();
    const storeModule = resolve(import.meta.dirname, '../../../lib/nodes/node-pairing-store.ts');
    const storageModule = resolve(import.meta.dirname, '../../../lib/file-storage.ts');
    const script = join(dir, 'writer.mts');
    // Approves node after node as fast as it can and reports each approval once it is on disk.
    await writeFile(
      script,
      `import { NodePairingStore } from ${JSON.stringify(storeModule)};
import { FileStorage } from ${JSON.stringify(storageModule)};
const store = new NodePairingStore({ storage: new FileStorage(process.argv[2]), now: () => Date.now() });
await store.load();
for (let i = 0; ; i++) {
  const nodeId = process.argv[3] + '-' + i;
  const { request } = await store.request({ nodeId, displayName: 'x'.repeat(2000) });
  await store.approve(request.requestId);
  process.stdout.write('approved ' + nodeId + '\\n');
}
`,
    );
    const approved: string[] = [];
    for (const [round, killAfter] of [3, 17, 40].entries()) {
      const stateDir = join(dir, 'state');
      const child = spawn(process.execPath, ['--import', 'tsx', script, stateDir, `r${round}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<void>((done) => child.once('close', () => done()));
      await new Promise<void>((done, fail) => {
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          out += d;
          if (out.split('\n').length > killAfter) {
            child.kill('SIGKILL');
            done();
          }
        });
        child.once('close', () => fail(new Error(`writer exited before being killed: ${stderr}`)));
      });
      await exited;
      approved.push(...out.split('\n').filter((l) => l.startsWith('approved ')).map((l) => l.slice('approved '.length)));

      const store = new NodePairingStore({ storage: new FileStorage(stateDir), now: () => Date.now() });
      await store.load();
      for (const nodeId of approved) expect(store.getPaired(nodeId)?.token).toMatch(/^[0-9a-f]{32}$/);
    }
  }, 30_000);

  it('treats ids that name Object.prototype members as plain ids', async () => {
    const { storage, store } = await tempStore();
    expect(store.verify('constructor', 'x')).toEqual({ ok: false });
    expect(store.getPaired('toString')).toBeUndefined();
    expect(await store.rename('toString', 'x')).toBeUndefined();
    const { request, created } = await store.request({ nodeId: '__proto__', displayName: 'Odd' });
    expect(created).toBe(true);
    expect(request.isRepair).toBe(false);
    const node = await store.approve(request.requestId);
    expect(store.getPaired('token')).toBeUndefined();
    expect(store.listPaired().map((n) => n.nodeId)).toEqual(['__proto__']);
    const reloaded = new NodePairingStore({ storage, now: () => Date.now() });
    await reloaded.load();
    expect(reloaded.verify('__proto__', node.token)).toMatchObject({ ok: true });
  });
});
