import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../lib/errors.js';
import { systemEventsService } from '../../lib/services.js';
import { createHooksRoute } from '../../endpoints/hooks-route.js';
import { AgentGateway, agentGatewayPerTest } from '../helpers/agent-gateway.js';
import { createTestGateway } from '../transports/contract.js';

const HOOK_TOKEN = 'hook-secret-123';
const { start } = agentGatewayPerTest({ hooks: { token: HOOK_TOKEN } });

function hook(h: AgentGateway, path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${HOOK_TOKEN}` }, method = 'POST') {
  return fetch(`${h.httpUrl}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
}

/** The system events `status` would report (the system plugin's queue). */
function queuedSystemEvents(h: AgentGateway): string[] {
  return h.gateway.service(systemEventsService).list();
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('hooks (protocol §8.5)', () => {
  it('checks the hook token (Bearer, x-openclaw-token; never ?token=), method and path', async () => {
    const h = await start();
    const missing = await hook(h, '/hooks/wake', { text: 'x' }, {});
    expect(missing.status).toBe(401);
    expect(await missing.text()).toBe('Unauthorized');
    expect((await hook(h, '/hooks/wake', { text: 'x' }, { authorization: 'Bearer wrong' })).status).toBe(401);
    await delay(300); // the brute-force backoff after a wrong token
    expect((await hook(h, '/hooks/wake', { text: 'x' }, { 'x-openclaw-token': HOOK_TOKEN })).status).toBe(200);
    const query = await hook(h, `/hooks/wake?token=${HOOK_TOKEN}`, { text: 'x' }, {});
    expect(query.status).toBe(400);
    expect(await query.text()).toContain('Hook tokens in the query string are refused');
    const get = await hook(h, '/hooks/wake', undefined, { authorization: `Bearer ${HOOK_TOKEN}` }, 'GET');
    expect(get.status).toBe(405);
    expect((await hook(h, '/hooks', {})).status).toBe(404);
    expect((await hook(h, '/hooks/', {})).status).toBe(404);
    expect((await hook(h, '/hooks/unmapped', {})).status).toBe(404);
    // The gateway token is not the hook token.
    expect((await hook(h, '/hooks/wake', { text: 'x' }, { authorization: 'Bearer test-token-0123456789' })).status).toBe(401);
  });

  it('enforces the body limit (413) and JSON (400) in the documented shape', async () => {
    const h = await start({ hooks: { token: HOOK_TOKEN, maxBodyBytes: 1024 } });
    const big = await hook(h, '/hooks/wake', { text: 'x'.repeat(2000) });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ ok: false, error: 'payload too large' });
    const bad = await hook(h, '/hooks/wake', '{nope');
    expect(bad.status).toBe(400);
    expect((await bad.json()).ok).toBe(false);
    const noText = await hook(h, '/hooks/wake', {});
    expect(noText.status).toBe(400);
    expect(await noText.json()).toEqual({ ok: false, error: 'text required' });
  });

  it('/wake queues a system event; /agent answers 202, runs, and summarises into the main session', async () => {
    const h = await start();
    const wake = await hook(h, '/hooks/wake', { text: 'Email from Ann', mode: 'next-heartbeat' });
    expect(await wake.json()).toEqual({ ok: true, mode: 'next-heartbeat' });
    expect(queuedSystemEvents(h)).toContain('Email from Ann');

    h.model.script({ text: ['Summarised the email.'] });
    const res = await hook(h, '/hooks/agent', { message: 'Summarise: hello', name: 'Gmail' });
    expect(res.status).toBe(202);
    const { ok, runId } = (await res.json()) as { ok: boolean; runId: string };
    expect(ok).toBe(true);
    const summary = await until(() => queuedSystemEvents(h).find((e) => e.startsWith('Hook Gmail:')), 'the hook summary');
    expect(summary).toBe('Hook Gmail: Summarised the email.');
    expect((await h.messages(`agent:main:hook:${runId}`)).map((m) => m.role)).toEqual(['user', 'assistant']);
    expect((await hook(h, '/hooks/agent', { name: 'x' })).status).toBe(400);
  });

  it('routes other names through hooks.mappings with templates', async () => {
    const h = await start({
      hooks: {
        token: HOOK_TOKEN,
        mappings: [
          { match: { path: 'github' }, name: 'GitHub', messageTemplate: 'Review PR {{pull_request.title}} by {{sender.login}}', sessionKey: 'hook:github' },
          { match: { source: 'monitor' }, action: 'wake', textTemplate: 'Alert: {{alert}}' },
        ],
      },
    });
    const res = await hook(h, '/hooks/github', { pull_request: { title: 'Fix bug' }, sender: { login: 'ann' } });
    expect(res.status).toBe(202);
    await until(() => queuedSystemEvents(h).find((e) => e.startsWith('Hook GitHub:')), 'the mapped run');
    expect(h.model.requests[0]!.body.messages.at(-1).content).toBe('Review PR Fix bug by ann');
    expect((await h.messages('agent:main:hook:github')).length).toBe(2);
    const wake = await hook(h, '/hooks/anything', { source: 'monitor', alert: 'disk full' });
    expect(await wake.json()).toEqual({ ok: true, mode: 'now' });
    expect(queuedSystemEvents(h)).toContain('Alert: disk full');
  });

  it('refuses to start without a token or at the root path; fails a run that cannot start', async () => {
    const gateway = createTestGateway();
    expect(() => createHooksRoute({ gateway, token: '' })).toThrow(GatewayError);
    expect(() => createHooksRoute({ gateway, token: 't', path: '/' })).toThrow('hooks.path must not be "/"');
    const h = await start({ model: null });
    const res = await hook(h, '/hooks/agent', { message: 'x' });
    expect(res.status).toBe(500);
    expect((await res.json()).error).toContain('set agents.defaults.model');
  });
});
