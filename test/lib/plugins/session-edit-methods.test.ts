import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEW_SESSION_PROMPT } from '../../../lib/agents/reset-command.js';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';

const { start } = agentGatewayPerTest();

describe('agents.list, models.list and the session methods, over WebSocket with sessions on disk', () => {
  it('agents.list and models.list answer in the reference shape', async () => {
    const h = await start({ settings: { agents: [{ id: 'main', name: 'Claw' }, { id: 'work' }] } });
    const peer = await h.connect();
    expect((await h.request(peer, 'agents.list', {})).payload).toEqual({
      defaultId: 'main',
      mainKey: 'main',
      scope: 'per-sender',
      agents: [
        { id: 'main', name: 'Claw', model: { primary: 'fake/m1', fallbacks: [] } },
        { id: 'work', model: { primary: 'fake/m1', fallbacks: [] } },
      ],
    });
    expect((await h.request(peer, 'models.list', {})).payload).toEqual({ models: [{ id: 'm1', name: 'm1', provider: 'fake', contextWindow: 64_000 }] });
  });

  it('sessions.patch sets and clears overrides; the model override is used by the next run', async () => {
    const h = await start();
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'hi', idempotencyKey: 'p1' }));
    const patched = await h.request(peer, 'sessions.patch', { key: 'main', label: 'Planning', thinkingLevel: 'HIGH', sendPolicy: 'deny', model: 'fake/m2', responseUsage: 'tokens' });
    expect(patched.payload).toMatchObject({
      ok: true,
      key: 'agent:main:main',
      entry: { key: 'agent:main:main', label: 'Planning', thinkingLevel: 'high', sendPolicy: 'deny', modelOverride: 'fake/m2', responseUsage: 'tokens' },
    });
    await h.final(peer, h.send(peer, 'agent', { message: 'again', idempotencyKey: 'p2' }));
    expect(h.model.requests.at(-1)!.body.model).toBe('m2');

    const cleared = await h.request(peer, 'sessions.patch', { key: 'agent:main:main', label: null, model: null });
    expect(cleared.payload.entry.label).toBeUndefined();
    expect(cleared.payload.entry.modelOverride).toBeUndefined();
    expect(cleared.payload.entry.sendPolicy).toBe('deny');
    await h.final(peer, h.send(peer, 'agent', { message: 'third', idempotencyKey: 'p3' }));
    expect(h.model.requests.at(-1)!.body.model).toBe('m1');

    const refusals = [
      await h.request(peer, 'sessions.patch', { key: 'main', thinkingLevel: 'enormous' }),
      await h.request(peer, 'sessions.patch', { key: 'main', model: 'nowhere/x' }),
      await h.request(peer, 'sessions.patch', { key: 'main', sendPolicy: 'maybe' }),
    ];
    expect(refusals.map((r) => r.ok)).toEqual([false, false, false]);
    expect(refusals[0]!.error.message).toContain('invalid thinking level "enormous"');
    expect(refusals[1]!.error.message).toContain('unknown model provider "nowhere"');
  });

  it('sessions.reset and /new start a new session id and keep the old transcript; /new greets', async () => {
    const h = await start();
    h.model.script({ text: ['first answer'] }, { text: ['Hi! What shall we do?'] }, { text: ['fresh answer'] });
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'remember 42', idempotencyKey: 'r1' }));
    const sessionsDir = join(h.stateDir, 'agents/main/sessions');
    const firstId = (await h.request(peer, 'sessions.list', {})).payload.sessions[0].sessionId;

    await h.final(peer, h.send(peer, 'agent', { message: '/new', idempotencyKey: 'r2' }));
    const secondId = (await h.request(peer, 'sessions.list', {})).payload.sessions[0].sessionId;
    expect(secondId).not.toBe(firstId);
    expect(existsSync(join(sessionsDir, `${firstId}.jsonl`))).toBe(true);
    const greeting = h.model.requests.at(-1)!.body.messages;
    expect(greeting.at(-1)).toMatchObject({ role: 'user', content: NEW_SESSION_PROMPT });
    expect(JSON.stringify(greeting)).not.toContain('remember 42');
    const history = await h.request(peer, 'chat.history', { sessionKey: 'main' });
    expect(history.payload.messages.map((m: any) => m.role)).toEqual(['user', 'assistant']);

    const reset = await h.request(peer, 'sessions.reset', { key: 'main' });
    expect(reset.payload).toMatchObject({ ok: true, key: 'agent:main:main', entry: { totalTokens: 0 } });
    expect(reset.payload.entry.sessionId).not.toBe(secondId);
    expect((await h.request(peer, 'chat.history', { sessionKey: 'main' })).payload.messages).toEqual([]);

    // chat.send takes "/reset <text>": the text is the new session's first message.
    const sent = await h.request(peer, 'chat.send', { sessionKey: 'main', message: '/reset what is new?', idempotencyKey: 'r3' });
    expect(sent.ok).toBe(true);
    await h.model.waitForRequests(3);
    expect(h.model.requests.at(-1)!.body.messages.at(-1)).toMatchObject({ role: 'user', content: 'what is new?' });
    expect((await readdir(sessionsDir)).filter((f) => f.endsWith('.jsonl'))).toHaveLength(4);
  });

  it('sessions.delete drops a session (transcript kept unless asked), refuses the main session; sessions.preview shows recent turns', async () => {
    const h = await start();
    h.model.script({ text: ['main reply'] }, { text: ['side reply'] });
    const peer = await h.connect();
    await h.final(peer, h.send(peer, 'agent', { message: 'main question', idempotencyKey: 'd1' }));
    await h.final(peer, h.send(peer, 'agent', { message: 'side question', idempotencyKey: 'd2', sessionKey: 'agent:main:side' }));

    const preview = await h.request(peer, 'sessions.preview', { keys: ['main', 'agent:main:side', 'agent:main:nothing'], maxChars: 20 });
    expect(preview.payload).toEqual({
      ts: expect.any(Number),
      previews: [
        { key: 'main', status: 'ok', items: [{ role: 'user', text: 'main question' }, { role: 'assistant', text: 'main reply' }] },
        { key: 'agent:main:side', status: 'ok', items: [{ role: 'user', text: 'side question' }, { role: 'assistant', text: 'side reply' }] },
        { key: 'agent:main:nothing', status: 'missing', items: [] },
      ],
    });

    const refused = await h.request(peer, 'sessions.delete', { key: 'main' });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('main session (agent:main:main) cannot be deleted') });

    const sideId = (await h.request(peer, 'sessions.list', {})).payload.sessions.find((s: any) => s.key === 'agent:main:side').sessionId;
    const transcript = join(h.stateDir, 'agents/main/sessions', `${sideId}.jsonl`);
    const deleted = await h.request(peer, 'sessions.delete', { key: 'agent:main:side' });
    expect(deleted.payload).toEqual({ ok: true, key: 'agent:main:side', deleted: true, archived: [transcript] });
    expect(existsSync(transcript)).toBe(true);
    expect((await h.request(peer, 'sessions.list', {})).payload.sessions.map((s: any) => s.key)).toEqual(['agent:main:main']);
    expect((await h.request(peer, 'sessions.delete', { key: 'agent:main:side' })).payload).toMatchObject({ deleted: false, archived: [] });

    await h.final(peer, h.send(peer, 'agent', { message: 'again', idempotencyKey: 'd3', sessionKey: 'agent:main:gone' }));
    const goneId = (await h.request(peer, 'sessions.list', {})).payload.sessions.find((s: any) => s.key === 'agent:main:gone').sessionId;
    const gone = await h.request(peer, 'sessions.delete', { key: 'agent:main:gone', deleteTranscript: true });
    expect(gone.payload).toEqual({ ok: true, key: 'agent:main:gone', deleted: true, archived: [] });
    expect(existsSync(join(h.stateDir, 'agents/main/sessions', `${goneId}.jsonl`))).toBe(false);
  });
});
