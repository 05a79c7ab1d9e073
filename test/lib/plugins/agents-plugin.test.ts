import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';
import { startNode } from '../../helpers/nodes.js';
import type { SendParams } from '../../../lib/protocol/generated/types.js';

const { start, defer } = agentGatewayPerTest();

describe('agent (protocol §6.6) against a local OpenAI-compatible server', () => {
  it('answers twice on one request id, streams agent events to every client, and writes the transcript', async () => {
    const h = await start();
    h.model.script({ text: ['Hello', ' world'], usage: { input: 30, output: 4 } });
    const caller = await h.connect();
    const observer = await h.connect();

    const id = h.send(caller, 'agent', { message: 'hi there', idempotencyKey: 'run-1', agentId: 'main' });
    const final = await h.final(caller, id);
    const [accepted] = h.responses(caller, id);
    expect(accepted).toMatchObject({ ok: true, payload: { runId: 'run-1', status: 'accepted', acceptedAt: expect.any(Number) } });
    expect(final.ok).toBe(true);
    expect(final.payload).toEqual({
      runId: 'run-1',
      status: 'ok',
      summary: 'completed',
      result: {
        payloads: [{ text: 'Hello world', mediaUrl: null }],
        meta: {
          durationMs: expect.any(Number),
          agentMeta: { sessionId: expect.any(String), provider: 'fake', model: 'm1', usage: { input: 30, output: 4, total: 34 } },
          aborted: false,
          stopReason: 'stop',
        },
      },
    });
    // The ack precedes every event of the run on the caller's socket.
    const callerFrames = caller.frames.filter((f) => (f.type === 'res' && f.id === id) || (f.type === 'event' && f.event === 'agent'));
    expect(callerFrames[0]).toBe(accepted);

    await observer.next((f) => f.event === 'agent' && f.payload.data?.phase === 'end');
    const events = h.events(observer, 'agent', 'run-1');
    expect(events.map((e) => [e.seq, e.stream, e.data.phase ?? e.data.delta])).toEqual([
      [1, 'lifecycle', 'start'],
      [2, 'assistant', 'Hello'],
      [3, 'assistant', ' world'],
      [4, 'lifecycle', 'end'],
    ]);
    expect(events[2]).toMatchObject({ runId: 'run-1', ts: expect.any(Number), data: { text: 'Hello world', delta: ' world' } });
    // A protocol 4 client: v4's agent event has no sessionKey (protocol 3 clients get it).
    expect(events[2]).not.toHaveProperty('sessionKey');
    const agentFrame = observer.frames.find((f) => f.event === 'agent');
    expect(agentFrame!.seq).toEqual(expect.any(Number));

    const lines = await h.transcript();
    expect(lines[0]).toMatchObject({ type: 'session', id: final.payload.result.meta.agentMeta.sessionId });
    expect(lines.slice(1).map((l) => [l.runId, l.message.role, l.message.content])).toEqual([
      ['run-1', 'user', 'hi there'],
      ['run-1', 'assistant', [{ type: 'text', text: 'Hello world' }]],
    ]);
    expect(h.model.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'hi there' });
  });

  it('returns the cached response for a retried idempotencyKey with a single res, without a second run', async () => {
    const h = await start();
    h.model.script({ text: ['slow'], delayMs: 150 });
    const peer = await h.connect();
    const first = h.send(peer, 'agent', { message: 'one', idempotencyKey: 'same' });
    await peer.next((f) => f.type === 'res' && f.id === first);
    const inflight = h.send(peer, 'agent', { message: 'one', idempotencyKey: 'same' });
    const cachedAck = await peer.next((f) => f.type === 'res' && f.id === inflight);
    expect(cachedAck.payload).toMatchObject({ runId: 'same', status: 'accepted' });
    const final = await h.final(peer, first);

    const retry = h.send(peer, 'agent', { message: 'one', idempotencyKey: 'same' });
    const cached = await peer.next((f) => f.type === 'res' && f.id === retry);
    expect(cached.payload).toEqual(final.payload);
    await h.request(peer, 'health', {});
    expect(h.responses(peer, inflight)).toHaveLength(1);
    expect(h.responses(peer, retry)).toHaveLength(1);
    expect(h.model.requests).toHaveLength(1);
  });

  it('answers a duplicate sent while the first is still resolving its session with the cached ack, not an error', async () => {
    const h = await start();
    h.model.script({ text: ['once'], delayMs: 100 });
    const peer = await h.connect();
    // sessionId makes the handler read the session index before the run starts.
    const params = { message: 'one', idempotencyKey: 'dup', sessionId: 'dup-session' };
    const first = h.send(peer, 'agent', params);
    const second = h.send(peer, 'agent', params);
    const duplicate = await peer.next((f) => f.type === 'res' && f.id === second);
    expect(duplicate).toMatchObject({ ok: true, payload: { runId: 'dup', status: 'accepted' } });
    await h.final(peer, first);
    expect(h.model.requests).toHaveLength(1);
  });

  it('answers UNAVAILABLE saying what to configure when no model is set up, and writes nothing', async () => {
    const h = await start({ model: null });
    const peer = await h.connect();
    const id = h.send(peer, 'agent', { message: 'hi', idempotencyKey: 'x' });
    const res = await peer.next((f) => f.type === 'res' && f.id === id);
    expect(res.ok).toBe(false);
    expect(res.error.code).toBe('UNAVAILABLE');
    expect(res.error.message).toContain('set agents.defaults.model to "<provider>/<model>" and models.providers.<provider>');
    await h.request(peer, 'health', {});
    expect(h.responses(peer, id)).toHaveLength(1);
    expect(existsSync(join(h.stateDir, 'agents/main/sessions/sessions.json'))).toBe(false);
    expect(h.model.requests).toHaveLength(0);
  });

  it('validates agent ids, session key ownership and channels', async () => {
    const h = await start({ settings: { agents: [{ id: 'main' }, { id: 'work', name: 'Worker' }] } });
    const peer = await h.connect();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ agentId: 'nope' }, 'unknown agent id "nope"'],
      [{ agentId: 'work', sessionKey: 'agent:main:main' }, 'agent "work" does not match session key "agent:main:main" (agent "main")'],
      [{ channel: 'carrier-pigeon' }, 'unknown channel: carrier-pigeon'],
      [{ thinking: 'extreme' }, 'invalid thinking level "extreme"'],
      [{ attachments: [{ mimeType: 'application/pdf', fileName: 'a.pdf', content: 'aGk=' }] }, 'unsupported attachment a.pdf: only images can be attached'],
    ];
    for (const [extra, message] of cases) {
      const res = await h.request(peer, 'agent', { message: 'x', idempotencyKey: `k-${message}`, ...extra });
      expect(res.ok, message).toBe(false);
      expect(res.error).toMatchObject({ code: 'INVALID_REQUEST' });
      expect(res.error.message).toContain(message);
    }
    const identity = await h.request(peer, 'agent.identity.get', { sessionKey: 'agent:work:main' });
    expect(identity.payload).toEqual({ agentId: 'work', name: 'Worker' });
    expect(h.model.requests).toHaveLength(0);
  });

  it('starts and resumes an explicit session id without touching the main session', async () => {
    const h = await start();
    const peer = await h.connect();
    const first = await h.final(peer, h.send(peer, 'agent', { message: 'one', idempotencyKey: 'sid-1', sessionId: 'proj-42', agentId: 'main' }));
    expect(first.payload.result.meta.agentMeta.sessionId).toBe('proj-42');
    await h.final(peer, h.send(peer, 'agent', { message: 'two', idempotencyKey: 'sid-2', sessionId: 'proj-42', agentId: 'main' }));
    expect((await h.messages('agent:main:session:proj-42')).map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const list = await h.request(peer, 'sessions.list', {});
    expect(list.payload.sessions.map((r: any) => [r.key, r.sessionId])).toEqual([['agent:main:session:proj-42', 'proj-42']]);
    const bad = await h.request(peer, 'agent', { message: 'x', idempotencyKey: 'sid-3', sessionId: '../escape' });
    expect(bad.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('invalid sessionId') });
  });

  it('runs tool calls, feeds results back to the model, and streams tool events when verbose', async () => {
    const h = await start({ settings: { verboseDefault: 'on' } });
    h.model.script(
      {
        text: ['Checking.'],
        toolCalls: [
          { id: 'c1', name: 'sessions_list', arguments: {} },
          { id: 'c2', name: 'message', arguments: { to: '+15550001', message: 'ping' } },
          { id: 'c3', name: 'nodes', arguments: { action: 'invoke', node: 'node-host', command: 'canvas.eval', params: { js: '1+1' } } },
          { id: 'c4', name: 'nodes', arguments: '{"action": "invoke", ' },
        ],
      },
      { text: ['All done.'] },
    );
    const node = await startNode(h.wsUrl);
    defer(() => node.client.close());
    const peer = await h.connect();
    const id = h.send(peer, 'agent', { message: 'do things', idempotencyKey: 'tools-1' });
    const final = await h.final(peer, id);
    expect(final.payload.result.payloads).toEqual([
      { text: 'Checking.', mediaUrl: null },
      { text: 'All done.', mediaUrl: null },
    ]);

    const second = h.model.requests[1]!.body.messages;
    const toolMessages = second.filter((m: any) => m.role === 'tool');
    expect(toolMessages.map((m: any) => m.tool_call_id)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(JSON.parse(toolMessages[0].content)).toMatchObject({ count: 1, sessions: [{ key: 'agent:main:main', kind: 'direct' }] });
    expect(toolMessages[1].content).toBe('sending messages is unavailable: this gateway has no send method (no messaging channel is configured)');
    expect(JSON.parse(toolMessages[2].content)).toMatchObject({ ok: true, nodeId: 'node-host', command: 'canvas.eval', payload: { echo: { js: '1+1' } } });
    expect(toolMessages[3].content).toMatch(/^Invalid tool call: arguments are not valid JSON/);
    expect(node.requests).toHaveLength(1);

    const tools = h.events(peer, 'agent', 'tools-1').filter((e) => e.stream === 'tool');
    expect(tools.map((e) => [e.data.phase, e.data.toolCallId, e.data.isError])).toEqual([
      ['start', 'c1', undefined],
      ['result', 'c1', false],
      ['start', 'c2', undefined],
      ['result', 'c2', true],
      ['start', 'c3', undefined],
      ['result', 'c3', false],
      ['start', 'c4', undefined],
      ['result', 'c4', true],
    ]);
    expect(tools[0]!.data).toMatchObject({ name: 'sessions_list', args: {} });
    expect(tools[5]!.data.result).toMatchObject({ payload: { echo: { js: '1+1' } } });

    const roles = (await h.messages()).map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'toolResult', 'toolResult', 'toolResult', 'toolResult', 'assistant']);
  });

  it('delivers the reply through the send method with deliver:true, and the message tool sends through it too', async () => {
    const h = await start();
    const sent: SendParams[] = [];
    // What the channels plugin registers (lib/plugins/channels-plugin.ts); here it only records.
    h.gateway.registerMethod('send', (params) => {
      sent.push(params);
      return { runId: params.idempotencyKey, messageId: `m${sent.length}`, channel: params.channel ?? 'whatsapp' };
    });
    h.model.script({ toolCalls: [{ id: 'c1', name: 'message', arguments: { to: '+1999', message: 'FYI' } }] }, { text: ['Sent it.'] });
    const peer = await h.connect();
    const final = await h.final(peer, h.send(peer, 'agent', { message: 'tell them', idempotencyKey: 'deliver-1', deliver: true, to: '+15550001', channel: 'telegram' }));
    expect(final.ok).toBe(true);
    expect(sent).toEqual([
      expect.objectContaining({ to: '+1999', message: 'FYI', channel: 'telegram', idempotencyKey: expect.any(String) }),
      expect.objectContaining({ to: '+15550001', message: 'Sent it.', channel: 'telegram' }),
    ]);
    const toolMessage = h.model.requests[1]!.body.messages.find((m: any) => m.role === 'tool');
    expect(JSON.parse(toolMessage.content)).toEqual({ runId: expect.any(String), messageId: 'm1', channel: 'telegram' });
  });

  it('keeps tool events off the wire unless verbose is on', async () => {
    const h = await start();
    h.model.script({ toolCalls: [{ id: 'c1', name: 'sessions_list', arguments: {} }] }, { text: ['ok'] });
    const peer = await h.connect();
    const id = h.send(peer, 'agent', { message: 'x', idempotencyKey: 'quiet' });
    await h.final(peer, id);
    expect(h.events(peer, 'agent', 'quiet').map((e) => e.stream)).toEqual(['lifecycle', 'assistant', 'lifecycle']);
  });

  it('fails with AGENT_TIMEOUT when the run passes its deadline, leaving a consistent transcript', async () => {
    const h = await start();
    h.model.script({ text: ['partial '], hangAfter: 2 });
    const peer = await h.connect();
    const id = h.send(peer, 'agent', { message: 'slow please', idempotencyKey: 'late', timeout: 1 });
    const final = await h.final(peer, id);
    expect(final.ok).toBe(false);
    expect(final.error).toMatchObject({ code: 'AGENT_TIMEOUT', message: 'agent run timed out after 1s' });
    expect(final.payload).toEqual({ runId: 'late', status: 'error', summary: 'agent run timed out after 1s' });
    const phases = h.events(peer, 'agent', 'late').filter((e) => e.stream === 'lifecycle');
    expect(phases.map((e) => e.data.phase)).toEqual(['start', 'error']);
    expect(phases[1]!.data.error).toBe('agent run timed out after 1s');
    const messages = await h.messages();
    expect(messages.map((m) => [m.role, m.stopReason])).toEqual([
      ['user', undefined],
      ['assistant', 'timeout'],
    ]);
    expect(messages[1]!.content).toEqual([{ type: 'text', text: 'partial ' }]);

    const wait = await h.request(peer, 'agent.wait', { runId: 'late', timeoutMs: 10 });
    expect(wait.payload).toMatchObject({ runId: 'late', status: 'error', error: 'agent run timed out after 1s' });
  });

  it('reports provider failures (429 with retryAfterMs) as UNAVAILABLE with the error payload', async () => {
    const h = await start();
    h.model.script({ status: 429, headers: { 'retry-after': '3' }, errorBody: { error: { message: 'Too many requests' } } });
    const peer = await h.connect();
    const id = h.send(peer, 'agent', { message: 'x', idempotencyKey: 'limited' });
    const final = await h.final(peer, id);
    expect(final.ok).toBe(false);
    expect(final.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true, retryAfterMs: 3000, details: { provider: 'fake', reason: 'rate_limit', status: 429 } });
    expect(final.payload).toMatchObject({ runId: 'limited', status: 'error', summary: expect.stringContaining('rate limit reached') });
    const messages = await h.messages();
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', stopReason: 'error', errorMessage: expect.stringContaining('HTTP 429') });
  });

  it('agent.wait reports the end of a run, and timeout for one that does not end in time', async () => {
    const h = await start();
    h.model.script({ text: ['a'], delayMs: 200 });
    const peer = await h.connect();
    const early = await h.request(peer, 'agent.wait', { runId: 'w1', timeoutMs: 20 });
    expect(early.payload).toEqual({ runId: 'w1', status: 'timeout' });
    const waiting = h.send(peer, 'agent.wait', { runId: 'w1', timeoutMs: 5000 });
    const id = h.send(peer, 'agent', { message: 'x', idempotencyKey: 'w1' });
    const waited = await peer.next((f) => f.type === 'res' && f.id === waiting);
    expect(waited.payload).toEqual({ runId: 'w1', status: 'ok', startedAt: expect.any(Number), endedAt: expect.any(Number) });
    await h.final(peer, id);
  });

  it('runs one turn at a time per session and queues the rest in order', async () => {
    const h = await start();
    const lastUser = (body: any) => body.messages.at(-1).content as string;
    h.model.responder = (body) => ({ text: [`re:${lastUser(body)}`], delayMs: lastUser(body) === 'A' ? 100 : 0 });
    const peer = await h.connect();
    const a = h.send(peer, 'agent', { message: 'A', idempotencyKey: 'qa' });
    await peer.next((f) => f.type === 'res' && f.id === a);
    const b = h.send(peer, 'agent', { message: 'B', idempotencyKey: 'qb' });
    const c = h.send(peer, 'agent', { message: 'C', idempotencyKey: 'qc', sessionKey: 'agent:main:other' });
    await Promise.all([h.final(peer, a), h.final(peer, b), h.final(peer, c)]);
    const roles = (await h.messages()).map((m) => (m.role === 'user' ? m.content : m.content[0].text));
    expect(roles).toEqual(['A', 're:A', 'B', 're:B']);
    expect((await h.messages('agent:main:other')).map((m) => m.role)).toEqual(['user', 'assistant']);
    // B's request carried A's whole turn: it started only after A finished.
    expect(h.model.requests.find((r) => r.body.messages.at(-1).content === 'B')!.body.messages.map((m: any) => m.content)).toEqual([
      expect.any(String),
      'A',
      're:A',
      'B',
    ]);
  });

  it('trims history to the model context, dropping whole old turns first', async () => {
    // 2000-token window: after the reply reserve only the 1024-token floor (~4000 characters) is left.
    const h = await start({ contextWindow: 2000 });
    const peer = await h.connect();
    for (const [i, word] of ['alpha', 'beta', 'gamma'].entries()) {
      await h.final(peer, h.send(peer, 'agent', { message: `${word} ${'x'.repeat(1500)}`, idempotencyKey: `trim-${i}` }));
    }
    const sent = h.model.requests[2]!.body.messages.map((m: any) => (typeof m.content === 'string' ? m.content.slice(0, 5) : m.content));
    expect(sent).toEqual([expect.any(String), 'beta ', 'ok', 'gamma']);
    expect((await h.messages()).length).toBe(6);
  });

  it('lists sessions and reports them in health and status', async () => {
    const h = await start({ settings: { agents: [{ id: 'main' }, { id: 'work' }] } });
    h.model.script({ text: ['one'], usage: { input: 1000, output: 50 } }, { text: ['two'] });
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'x', idempotencyKey: 's1', label: 'first chat' }));
    await h.final(peer, h.send(peer, 'agent', { message: 'y', idempotencyKey: 's2', agentId: 'work', to: '+1555', channel: 'whatsapp' }));

    const list = await h.request(peer, 'sessions.list', {});
    expect(list.payload).toMatchObject({ count: 2, path: join(h.stateDir, 'agents/main/sessions/sessions.json'), defaults: { model: 'm1', modelProvider: 'fake', contextTokens: 64_000 } });
    const rows = list.payload.sessions;
    expect(rows.map((r: any) => r.key).sort()).toEqual(['agent:main:main', 'agent:work:main']);
    const main = rows.find((r: any) => r.key === 'agent:main:main');
    expect(main).toMatchObject({
      agentId: 'main',
      kind: 'direct',
      label: 'first chat',
      model: 'm1',
      modelProvider: 'fake',
      contextTokens: 64_000,
      totalTokens: 1050,
      remainingTokens: 62_950,
      percentUsed: 2,
      inputTokens: 1000,
      outputTokens: 50,
      flags: expect.arrayContaining(['system']),
    });
    const filtered = await h.request(peer, 'sessions.list', { agentId: 'work' });
    expect(filtered.payload.sessions.map((r: any) => r.key)).toEqual(['agent:work:main']);

    const health = await h.request(peer, 'health', { probe: true });
    expect(health.payload.agents.map((a: any) => [a.agentId, a.isDefault, a.sessions.count])).toEqual([
      ['main', true, 1],
      ['work', false, 1],
    ]);
    expect(health.payload.sessions.path).toBe(join(h.stateDir, 'agents/main/sessions/sessions.json'));
    const status = await h.request(peer, 'status', {});
    expect(status.payload.sessions).toMatchObject({
      count: 2,
      defaults: { model: 'm1', modelProvider: 'fake', contextTokens: 64_000 },
      paths: [join(h.stateDir, 'agents/main/sessions/sessions.json'), join(h.stateDir, 'agents/work/sessions/sessions.json')],
    });
    expect(status.payload.sessions.byAgent.map((a: any) => [a.agentId, a.count])).toEqual([
      ['main', 1],
      ['work', 1],
    ]);
  });
});

describe('agent against a local Anthropic-style server', () => {
  it('streams the reply and runs a tool round trip through the Messages API', async () => {
    const h = await start({ api: 'anthropic' });
    h.model.script({ text: ['Let me look.'], toolCalls: [{ id: 'toolu_1', name: 'sessions_list', arguments: { limit: 5 } }] }, { text: ['You have one session.'] });
    const peer = await h.connect();
    const id = h.send(peer, 'agent', { message: 'how many sessions?', idempotencyKey: 'anth-1' });
    const final = await h.final(peer, id);
    expect(final.payload.result.payloads.map((p: any) => p.text)).toEqual(['Let me look.', 'You have one session.']);
    const second = h.model.requests[1]!.body;
    expect(second.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: expect.stringContaining('agent:main:main') }],
    });
    expect(second.system).toContain('OpenClaw');
    expect((await h.messages()).map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
  });
});
