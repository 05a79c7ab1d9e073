import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TimerHandle } from '../../../lib/clock.js';
import { GatewayError } from '../../../lib/errors.js';
import { FileStorage } from '../../../lib/file-storage.js';
import type { Logger } from '../../../lib/logger.js';
import { statelessSessionKey } from '../../../lib/sessions/session-keys.js';
import { SessionStore, type SessionStoreOptions } from '../../../lib/sessions/session-store.js';
import { CountingStorage } from '../../helpers/counting-storage.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempStore(): Promise<{ dir: string; store: SessionStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-sessions-'));
  dirs.push(dir);
  return { dir, store: new SessionStore({ storage: new FileStorage(dir), now: () => 1_700_000_000_000 }) };
}

describe('SessionStore', () => {
  it('keeps an index per agent and one JSONL transcript per session, 0600 on disk', async () => {
    const { dir, store } = await tempStore();
    const entry = await store.ensure('main', 'agent:main:main');
    await store.append('main', 'agent:main:main', entry, { role: 'user', content: 'hi', timestamp: 1 }, 'run-1');
    await store.append('main', 'agent:main:main', entry, { role: 'assistant', content: [{ type: 'text', text: 'hello' }], stopReason: 'stop', timestamp: 2 }, 'run-1');
    await store.update('main', 'agent:main:main', { totalTokens: 42 });
    // A run's counters are a deferred change: on disk with the next index write.
    await store.flush();

    const indexPath = join(dir, 'agents/main/sessions/sessions.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8'));
    expect(index['agent:main:main']).toMatchObject({ sessionId: entry.sessionId, sessionFile: `${entry.sessionId}.jsonl`, totalTokens: 42 });
    expect(store.indexPath('main')).toBe(indexPath);
    const transcriptPath = join(dir, 'agents/main/sessions', `${entry.sessionId}.jsonl`);
    const lines = (await readFile(transcriptPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'session', version: 1, id: entry.sessionId, agentId: 'main', sessionKey: 'agent:main:main' });
    expect(lines.slice(1).map((l) => [l.type, l.runId, l.message.role])).toEqual([
      ['message', 'run-1', 'user'],
      ['message', 'run-1', 'assistant'],
    ]);
    expect((await stat(transcriptPath)).mode & 0o777).toBe(0o600);

    const reloaded = new SessionStore({ storage: new FileStorage(dir) });
    const again = await reloaded.get('main', 'agent:main:main');
    expect((await reloaded.messages('main', again!)).map((l) => l.message.role)).toEqual(['user', 'assistant']);
  });

  it('survives a torn last line: it is skipped on read and the next append starts a fresh line', async () => {
    const { dir, store } = await tempStore();
    const entry = await store.ensure('main', 'agent:main:main');
    await store.append('main', 'agent:main:main', entry, { role: 'user', content: 'one', timestamp: 1 });
    const file = join(dir, 'agents/main/sessions', entry.sessionFile);
    await appendFile(file, '{"type":"message","id":"x","mess');

    const fresh = new SessionStore({ storage: new FileStorage(dir) });
    const reloaded = (await fresh.get('main', 'agent:main:main'))!;
    expect((await fresh.messages('main', reloaded)).map((l) => l.message.content)).toEqual(['one']);
    await fresh.append('main', 'agent:main:main', reloaded, { role: 'user', content: 'two', timestamp: 2 });
    expect((await fresh.messages('main', reloaded)).map((l) => l.message.content)).toEqual(['one', 'two']);
  });

  it('serialises concurrent index updates without losing any', async () => {
    const { dir, store } = await tempStore();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.ensure('main', `agent:main:s${i}`)));
    expect(store.entries('main')).toHaveLength(20);
    const fresh = new SessionStore({ storage: new FileStorage(dir) });
    await fresh.load('main');
    expect(fresh.entries('main')).toHaveLength(20);
  });

  it('refuses an unreadable index with a clear error and never overwrites it', async () => {
    const { dir, store } = await tempStore();
    const indexPath = join(dir, 'agents/main/sessions/sessions.json');
    await store.ensure('main', 'agent:main:main');
    await writeFile(indexPath, '{ not json');
    const fresh = new SessionStore({ storage: new FileStorage(dir) });
    const err = await fresh.ensure('main', 'agent:main:other').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as Error).message).toContain(`session index ${indexPath} is unreadable`);
    expect(await readFile(indexPath, 'utf8')).toBe('{ not json');
  });

  it('switches a key to an explicit session id, keeping the old transcript', async () => {
    const { store } = await tempStore();
    const first = await store.ensure('main', 'agent:main:main');
    const second = await store.ensure('main', 'agent:main:main', { sessionId: 'chosen-1' });
    expect(second.sessionId).toBe('chosen-1');
    expect(first.sessionId).not.toBe('chosen-1');
    expect(await store.findBySessionId('main', 'chosen-1')).toBe('agent:main:main');
    await expect(store.ensure('main', 'agent:main:x', { sessionId: '../../etc' })).rejects.toThrow('invalid sessionId');
  });
});

/** Timers that fire only when the test says so. */
function manualTimers() {
  const due = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (fn: () => void): TimerHandle => {
      due.set(++next, fn);
      return next;
    },
    clearTimeout: (handle: TimerHandle) => void due.delete(handle as number),
    get size() {
      return due.size;
    },
    fire() {
      const fns = [...due.values()];
      due.clear();
      for (const fn of fns) fn();
    },
  };
}

async function countingStore(options: Partial<SessionStoreOptions> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-sessions-'));
  dirs.push(dir);
  const storage = new CountingStorage(new FileStorage(dir));
  const timers = manualTimers();
  const store = new SessionStore({ storage, timers, ...options });
  const onDisk = async (): Promise<Record<string, any>> => JSON.parse(await readFile(join(dir, 'agents/main/sessions/sessions.json'), 'utf8'));
  const transcript = (entry: { sessionFile: string }) => join(dir, 'agents/main/sessions', entry.sessionFile);
  return { dir, storage, timers, store, onDisk, transcript, indexWrites: () => storage.writesOf('sessions.json') };
}

describe('SessionStore index writes', () => {
  it('writes deferred changes together: a hundred stateless runs and their updates are one index write', async () => {
    const { timers, store, onDisk, indexWrites } = await countingStore();
    await store.ensure('main', 'agent:main:main');
    expect(indexWrites()).toBe(1);
    for (let i = 0; i < 100; i++) {
      const key = statelessSessionKey('openai', 'main');
      await store.ensure('main', key);
      await store.update('main', key, { totalTokens: i });
      await store.update('main', 'agent:main:main', { totalTokens: i });
    }
    expect(store.entries('main')).toHaveLength(101);
    expect(indexWrites()).toBe(1);
    expect(timers.size).toBe(1);

    timers.fire();
    await vi.waitFor(() => expect(indexWrites()).toBe(2));
    expect(Object.keys(await onDisk())).toHaveLength(101);
    expect((await onDisk())['agent:main:main'].totalTokens).toBe(99);
  });

  it('puts changes someone relies on after a crash on disk before they resolve; a failed write leaves memory as it was', async () => {
    const { storage, store, onDisk } = await countingStore();
    await store.ensure('main', 'agent:main:openai-user:bob');
    expect(Object.keys(await onDisk())).toEqual(['agent:main:openai-user:bob']);
    await store.edit('main', 'agent:main:openai-user:bob', (e) => ({ ...e, label: 'Bob' }));
    expect((await onDisk())['agent:main:openai-user:bob'].label).toBe('Bob');
    await store.ensure('main', 'agent:main:openai-user:bob', { sessionId: 'reset-1' });
    expect((await onDisk())['agent:main:openai-user:bob'].sessionId).toBe('reset-1');

    storage.failWrites = (key) => key.endsWith('sessions.json');
    await expect(store.ensure('main', 'agent:main:other')).rejects.toThrow('session index write failed');
    expect(store.peek('main', 'agent:main:other')).toBeUndefined();
    await expect(store.remove('main', 'agent:main:openai-user:bob')).rejects.toThrow('session index write failed');
    expect(store.peek('main', 'agent:main:openai-user:bob')?.sessionId).toBe('reset-1');
    await expect(store.edit('main', 'agent:main:openai-user:bob', (e) => ({ ...e, label: 'Robert' }))).rejects.toThrow(GatewayError);
    expect(store.peek('main', 'agent:main:openai-user:bob')?.label).toBe('Bob');
  });

  it('a graceful close leaves the index on disk equal to memory, and later changes are written at once', async () => {
    const { store, onDisk, indexWrites } = await countingStore();
    await store.ensure('main', 'agent:main:main');
    for (let i = 0; i < 20; i++) {
      const key = statelessSessionKey('hook', 'main');
      await store.ensure('main', key);
      await store.update('main', key, { inputTokens: i, model: 'fake/m1' });
    }
    await store.update('main', 'agent:main:main', { totalTokens: 5 });
    expect(Object.keys(await onDisk())).toHaveLength(1);

    await store.close();
    expect(await onDisk()).toEqual(await store.load('main'));
    const writes = indexWrites();
    await store.update('main', 'agent:main:main', { totalTokens: 6 });
    expect(indexWrites()).toBe(writes + 1);
    expect((await onDisk())['agent:main:main'].totalTokens).toBe(6);
  });

  it('a crash loses at most the deferred changes since the last write: the index is still valid JSON and a new store reads it', async () => {
    const { dir, store } = await countingStore();
    const bob = await store.ensure('main', 'agent:main:openai-user:bob');
    await store.append('main', 'agent:main:openai-user:bob', bob, { role: 'user', content: 'remember 42', timestamp: 1 });
    const early = statelessSessionKey('openai', 'main');
    await store.ensure('main', early);
    await store.flush();
    await store.update('main', 'agent:main:openai-user:bob', { totalTokens: 7 });
    const late = await store.ensure('main', statelessSessionKey('openai', 'main'));
    // A write the crash interrupted leaves only its temp copy behind (writeAtomic).
    await writeFile(join(dir, 'agents/main/sessions/.0123456789ab.tmp'), '{"agent:main:half');
    // The crash: this store is dropped without flush or close.

    const restarted = new SessionStore({ storage: new FileStorage(dir) });
    const index = await restarted.load('main');
    expect(Object.keys(index).sort()).toEqual([early, 'agent:main:openai-user:bob'].sort());
    expect(index['agent:main:openai-user:bob']!.totalTokens).toBeUndefined();
    expect((await restarted.messages('main', index['agent:main:openai-user:bob']!)).map((l) => l.message.content)).toEqual(['remember 42']);
    // The lost stateless row's transcript stays behind, unindexed: what a crash can cost.
    expect(existsSync(join(dir, 'agents/main/sessions', late.sessionFile))).toBe(true);
  });
});

describe('SessionStore maintenance', () => {
  it('removes expired stateless sessions and their transcripts with the deferred write; caller-keyed and held ones stay', async () => {
    let now = 1_700_000_000_000;
    const { store, onDisk, transcript } = await countingStore({ now: () => now, maintenance: { mode: 'enforce', pruneAfterMs: 3_600_000, maxEntries: 5 } });
    for (const key of ['agent:main:main', 'agent:main:openai-user:bob', 'agent:main:hook:github']) await store.ensure('main', key);
    const stateless: string[] = [];
    for (let i = 0; i < 6; i++) {
      now += 1000;
      const key = statelessSessionKey(i % 2 ? 'openai' : 'hook', 'main');
      stateless.push(key);
      const entry = await store.ensure('main', key);
      await store.append('main', key, entry, { role: 'user', content: `q${i}`, timestamp: now });
    }
    const files = new Map(stateless.map((key) => [key, transcript(store.peek('main', key)!)]));
    const release = store.hold('main', stateless[0]!);

    await store.flush();
    const kept = ['agent:main:main', 'agent:main:openai-user:bob', 'agent:main:hook:github', stateless[0]!, stateless[5]!];
    expect(Object.keys(await onDisk()).sort()).toEqual([...kept].sort());
    expect(stateless.map((key) => existsSync(files.get(key)!))).toEqual([true, false, false, false, false, true]);

    release();
    now += 2 * 3_600_000;
    expect((await store.prune('main')).sort()).toEqual([stateless[0]!, stateless[5]!].sort());
    await store.flush();
    expect(Object.keys(await onDisk()).sort()).toEqual(['agent:main:hook:github', 'agent:main:main', 'agent:main:openai-user:bob']);
    expect(existsSync(files.get(stateless[0]!)!)).toBe(false);
  });

  it('in warn mode logs what it would remove, once, and keeps it', async () => {
    const lines: string[] = [];
    const logger: Logger = { log: (_level, _subsystem, message) => void lines.push(message) };
    const { store, onDisk } = await countingStore({ logger, maintenance: { mode: 'warn', pruneAfterMs: 0, maxEntries: 1 } });
    for (let i = 0; i < 3; i++) await store.ensure('main', statelessSessionKey('openai', 'main'));
    await store.flush();
    await store.ensure('main', statelessSessionKey('openai', 'main'));
    await store.flush();
    expect(Object.keys(await onDisk())).toHaveLength(4);
    expect(lines).toEqual(['session.maintenance would remove 2 stateless session(s) of agent "main" (mode "warn": kept)']);
  });
  it('tells listeners of every row change and every message on disk, numbering messages per transcript across restarts', async () => {
    const { dir, store } = await tempStore();
    const seen: string[] = [];
    const off = store.onChange((c) => seen.push(c.type === 'message' ? `message ${c.key} #${c.seq} ${String(c.line.message.content)}` : `entry ${c.key} ${c.previous ? 'had' : 'new'} ${c.entry ? 'kept' : 'gone'}`));
    const entry = await store.ensure('main', 'agent:main:main');
    await store.append('main', 'agent:main:main', entry, { role: 'user', content: 'one', timestamp: 1 });
    await store.append('main', 'agent:main:main', entry, { role: 'user', content: 'two', timestamp: 2 });
    await store.update('main', 'agent:main:main', { label: 'L' });
    await store.remove('main', 'agent:main:main');
    off();
    await store.update('main', 'agent:main:other', {}).catch(() => undefined);
    expect(seen).toEqual([
      'entry agent:main:main new kept',
      'message agent:main:main #1 one',
      'message agent:main:main #2 two',
      'entry agent:main:main had kept',
      'entry agent:main:main had gone',
    ]);

    // A new process counts what the transcript already holds.
    const again = await new SessionStore({ storage: new FileStorage(dir) }).ensure('main', 'agent:main:main', { sessionId: entry.sessionId });
    const fresh = new SessionStore({ storage: new FileStorage(dir) });
    const seqs: number[] = [];
    fresh.onChange((c) => c.type === 'message' && seqs.push(c.seq));
    await fresh.append('main', 'agent:main:main', again, { role: 'user', content: 'three', timestamp: 3 });
    expect(seqs).toEqual([3]);
  });
});
