import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AgentSettings } from '../../../lib/agents/agent-settings.js';
import { RUN_INTERRUPTED, RunJournal } from '../../../lib/agents/run-journal.js';
import { FileStorage } from '../../../lib/file-storage.js';
import type { Gateway } from '../../../lib/gateway.js';
import { agentPlugins } from '../../../lib/plugins/agents-plugin.js';
import { ModelCatalog } from '../../../lib/providers/model-catalog.js';
import { SessionStore } from '../../../lib/sessions/session-store.js';
import { FakeModelServer } from '../../helpers/fake-model-server.js';
import { createTestGateway } from '../../transports/contract.js';

describe('agent runs across stops and crashes', () => {
  let model: FakeModelServer;
  let stateDir: string;
  const gateways: Gateway[] = [];

  /** One gateway "process" with agents over the state dir. */
  async function startGateway(options: { drainTimeoutMs?: number } = {}): Promise<Gateway> {
    const gateway = createTestGateway({ stateDir });
    const storage = new FileStorage(stateDir);
    const catalog = new ModelCatalog({ env: {}, providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions', models: [{ id: 'm1' }] } } });
    for (const plugin of agentPlugins({
      models: catalog,
      sessions: new SessionStore({ storage }),
      settings: new AgentSettings({ defaultModel: 'fake/m1' }),
      runJournal: new RunJournal({ storage }),
      ...options,
    })) {
      gateway.use(plugin);
    }
    await gateway.start();
    gateways.push(gateway);
    return gateway;
  }

  async function setUp(): Promise<void> {
    model = await FakeModelServer.start('openai');
    stateDir = await mkdtemp(join(tmpdir(), 'openclaw-runs-'));
  }

  afterEach(async () => {
    for (const g of gateways.splice(0).reverse()) await g.close();
    await model.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a run a crash cut off is reported interrupted at the next start: agent.wait, chat.history and a retried agent say so', async () => {
    await setUp();
    model.script({ text: ['let me think'], hangAfter: 1 });
    const first = await startGateway();
    first.call('agent', { message: 'hello', sessionKey: 'main', idempotencyKey: 'r-crash' }).catch(() => undefined);
    await model.waitForRequests(1);
    await vi.waitFor(async () => expect(await readFile(join(stateDir, 'agents/runs-in-flight.jsonl'), 'utf8')).toContain('r-crash'));

    // "kill -9": the next process starts over the same state; the first one is never closed first.
    const second = await startGateway();
    const wait = await second.call('agent.wait', { runId: 'r-crash', timeoutMs: 10 });
    expect(wait).toEqual({ runId: 'r-crash', status: 'error', startedAt: expect.any(Number), endedAt: expect.any(Number), error: RUN_INTERRUPTED });
    const history = await second.call('chat.history', { sessionKey: 'main' });
    expect(history.messages.map((m) => [m.role, m.stopReason, m.errorMessage])).toEqual([
      ['user', undefined, undefined],
      ['assistant', 'error', RUN_INTERRUPTED],
    ]);
    const retried = await second.call('agent', { message: 'hello', sessionKey: 'main', idempotencyKey: 'r-crash' }).catch((e: unknown) => e);
    expect(retried).toMatchObject({ code: 'UNAVAILABLE', message: RUN_INTERRUPTED, payload: { runId: 'r-crash', status: 'error', summary: RUN_INTERRUPTED } });
    const rows = await second.call('sessions.list', {});
    expect(rows.sessions.find((r) => r.key === 'agent:main:main')).toMatchObject({ abortedLastRun: true });

    // The note is for people: the next turn's model request does not carry it.
    model.script({ text: ['back again'] });
    const next = await second.call('agent', { message: 'still there?', sessionKey: 'main', idempotencyKey: 'r-next' });
    expect(next).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'back again' }] } });
    expect(model.requests.at(-1)!.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'user']);
  });

  it('a run that ended normally is not reported at the next start', async () => {
    await setUp();
    model.script({ text: ['done'] });
    const first = await startGateway();
    await first.call('agent', { message: 'hi', sessionKey: 'main', idempotencyKey: 'r-ok' });
    await first.close();
    const second = await startGateway();
    expect(await second.call('agent.wait', { runId: 'r-ok', timeoutMs: 10 })).toEqual({ runId: 'r-ok', status: 'timeout' });
    expect((await second.call('chat.history', { sessionKey: 'main' })).messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('a graceful close lets a running turn finish within drainTimeoutMs instead of aborting it', async () => {
    await setUp();
    model.script({ text: ['a ', 'whole ', 'answer'], delayMs: 150 });
    const gateway = await startGateway({ drainTimeoutMs: 5000 });
    const final = gateway.call('agent', { message: 'take your time', sessionKey: 'main', idempotencyKey: 'r-drain' });
    await model.waitForRequests(1);
    await gateway.close();
    expect(await final).toMatchObject({ status: 'ok', result: { payloads: [{ text: 'a whole answer' }], meta: { aborted: false } } });
  });

  it('past drainTimeoutMs the turn is aborted, and close does not wait longer', async () => {
    await setUp();
    model.script({ text: ['never ends'], hangAfter: 1 });
    const gateway = await startGateway({ drainTimeoutMs: 100 });
    const final = gateway.call('agent', { message: 'slow', sessionKey: 'main', idempotencyKey: 'r-slow' });
    await model.waitForRequests(1);
    const began = Date.now();
    await gateway.close();
    expect(Date.now() - began).toBeLessThan(3000);
    expect(await final).toMatchObject({ status: 'ok', result: { meta: { aborted: true } } });
  });
});
