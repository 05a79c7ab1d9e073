import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FileStorage } from '../../lib/file-storage.js';
import { systemEventsService } from '../../lib/services.js';
import { AgentGateway, agentGatewayPerTest } from '../helpers/agent-gateway.js';
import { TOKEN } from '../helpers/connect.js';
import { CountingStorage } from '../helpers/counting-storage.js';

const HOOK_TOKEN = 'hook-secret-123';
const { start, defer } = agentGatewayPerTest({ endpoints: { chatCompletions: true, responses: true } });

async function v1(h: AgentGateway, path: '/v1/chat/completions' | '/v1/responses', body: unknown): Promise<void> {
  const res = await fetch(`${h.httpUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

/** A stateless request: no `user`, no `x-openclaw-session-key`. Every fourth goes to /v1/responses. */
function stateless(h: AgentGateway, i: number): Promise<void> {
  return i % 4 === 3 ? v1(h, '/v1/responses', { model: 'openclaw', input: `q${i}` }) : v1(h, '/v1/chat/completions', { model: 'openclaw', messages: [{ role: 'user', content: `q${i}` }] });
}

/** `total` calls of `run`, `width` at a time. */
async function inBatches(total: number, width: number, run: (i: number) => Promise<void>, offset = 0): Promise<void> {
  for (let i = 0; i < total; i += width) await Promise.all(Array.from({ length: Math.min(width, total - i) }, (_, j) => run(offset + i + j)));
}

function sessionsDir(stateDir: string): string {
  return join(stateDir, 'agents/main/sessions');
}

async function indexOnDisk(stateDir: string): Promise<Record<string, { sessionFile: string }>> {
  return JSON.parse(await readFile(join(sessionsDir(stateDir), 'sessions.json'), 'utf8'));
}

async function transcriptFiles(stateDir: string): Promise<string[]> {
  return (await readdir(sessionsDir(stateDir))).filter((f) => f.endsWith('.jsonl')).sort();
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-stateless-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('stateless runs (no user, no session key, hooks without sessionKey)', () => {
  it('leave a bounded index, written far fewer times than there are runs, while a `user` session keeps its memory', async () => {
    let storage!: CountingStorage;
    const h = await start({
      sessions: (dir) => ({
        storage: (storage = new CountingStorage(new FileStorage(dir))),
        // No timer write during the test: every index write counted is one the runs caused.
        indexWriteDelayMs: 3_600_000,
        maintenance: { mode: 'enforce', pruneAfterMs: 30 * 86_400_000, maxEntries: 25 },
      }),
    });
    await v1(h, '/v1/chat/completions', { model: 'openclaw', user: 'bob', messages: [{ role: 'user', content: 'remember 42' }] });
    const writesBefore = storage.writesOf('sessions.json');
    expect(writesBefore).toBe(1);

    await inBatches(100, 25, (i) => stateless(h, i));
    await h.service.sessions.flush();
    const after100 = (await stat(join(sessionsDir(h.stateDir), 'sessions.json'))).size;
    await inBatches(400, 25, (i) => stateless(h, i), 100);
    await h.service.sessions.flush();
    const after500 = (await stat(join(sessionsDir(h.stateDir), 'sessions.json'))).size;

    // 500 runs, two index writes: the two flushes.
    expect(storage.writesOf('sessions.json') - writesBefore).toBe(2);
    const index = await indexOnDisk(h.stateDir);
    expect(Object.keys(index)).toHaveLength(25);
    expect(index['agent:main:openai-user:bob']).toBeDefined();
    expect(after500).toBeLessThan(after100 * 1.1);
    expect(await transcriptFiles(h.stateDir)).toEqual(Object.values(index).map((e) => e.sessionFile).sort());

    await v1(h, '/v1/chat/completions', { model: 'openclaw', user: 'bob', messages: [{ role: 'user', content: 'what number?' }] });
    expect(h.model.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content).slice(1)).toEqual(['remember 42', 'ok', 'what number?']);
  }, 120_000);

  it('of hooks are removed with their transcripts; a mapping’s sessionKey is kept', async () => {
    const h = await start({
      hooks: { token: HOOK_TOKEN, mappings: [{ match: { path: 'github' }, name: 'GitHub', messageTemplate: 'PR {{title}}', sessionKey: 'hook:github' }] },
      sessions: () => ({ indexWriteDelayMs: 3_600_000, maintenance: { mode: 'enforce', pruneAfterMs: 0, maxEntries: 1 } }),
    });
    const post = (path: string, body: unknown) =>
      fetch(`${h.httpUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${HOOK_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const waitFor = (name: string) =>
      vi.waitFor(() => expect(h.gateway.service(systemEventsService).list().some((e) => e.startsWith(`Hook ${name}:`))).toBe(true), { timeout: 5000, interval: 10 });

    const res = await post('/hooks/agent', { message: 'Summarise: hello', name: 'Gmail' });
    const { runId } = (await res.json()) as { runId: string };
    await waitFor('Gmail');
    const statelessFile = h.service.sessions.peek('main', `agent:main:hook:${runId}`)!.sessionFile;
    expect((await post('/hooks/github', { title: 'Fix bug' })).status).toBe(202);
    await waitFor('GitHub');
    await h.service.sessions.flush();

    expect(Object.keys(await indexOnDisk(h.stateDir))).toEqual(['agent:main:hook:github']);
    expect(await transcriptFiles(h.stateDir)).not.toContain(statelessFile);
    expect(await h.messages('agent:main:hook:github')).toHaveLength(2);
  });

  it('lose nothing at a graceful close; a crash mid-traffic leaves a valid index that a later start reads', async () => {
    const stateDir = await tempDir();
    const crashDir = await tempDir();
    const h = await AgentGateway.start({ stateDir, endpoints: { chatCompletions: true, responses: true }, sessions: () => ({ indexWriteDelayMs: 5 }) });
    let closed = false;
    defer(() => (closed ? undefined : h.close()));
    await v1(h, '/v1/chat/completions', { model: 'openclaw', user: 'bob', messages: [{ role: 'user', content: 'remember 42' }] });

    // The crash: the state dir as it is while runs are writing (temp copies of atomic writes left out, as a restart ignores them).
    const traffic = inBatches(60, 10, (i) => stateless(h, i));
    await new Promise((r) => setTimeout(r, 50));
    await cp(stateDir, crashDir, { recursive: true, filter: (src) => !src.endsWith('.tmp') });
    await traffic;

    await h.close();
    closed = true;
    expect(await indexOnDisk(stateDir)).toEqual(await h.service.sessions.load('main'));
    expect(Object.keys(await indexOnDisk(stateDir))).toHaveLength(61);

    const crashed = await indexOnDisk(crashDir);
    expect(crashed['agent:main:openai-user:bob']).toBeDefined();
    const restarted = await AgentGateway.start({ stateDir: crashDir, endpoints: { chatCompletions: true } });
    defer(() => restarted.close());
    await v1(restarted, '/v1/chat/completions', { model: 'openclaw', user: 'bob', messages: [{ role: 'user', content: 'what number?' }] });
    expect(restarted.model.requests.at(-1)!.body.messages.map((m: { content: string }) => m.content).slice(1)).toEqual(['remember 42', 'ok', 'what number?']);
  }, 60_000);
});
