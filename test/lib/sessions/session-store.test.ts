import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { FileStorage } from '../../../lib/file-storage.js';
import { SessionStore } from '../../../lib/sessions/session-store.js';

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
    await store.append('main', entry, { role: 'user', content: 'hi', timestamp: 1 }, 'run-1');
    await store.append('main', entry, { role: 'assistant', content: [{ type: 'text', text: 'hello' }], stopReason: 'stop', timestamp: 2 }, 'run-1');
    await store.update('main', 'agent:main:main', { totalTokens: 42 });

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
    await store.append('main', entry, { role: 'user', content: 'one', timestamp: 1 });
    const file = join(dir, 'agents/main/sessions', entry.sessionFile);
    await appendFile(file, '{"type":"message","id":"x","mess');

    const fresh = new SessionStore({ storage: new FileStorage(dir) });
    const reloaded = (await fresh.get('main', 'agent:main:main'))!;
    expect((await fresh.messages('main', reloaded)).map((l) => l.message.content)).toEqual(['one']);
    await fresh.append('main', reloaded, { role: 'user', content: 'two', timestamp: 2 });
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
