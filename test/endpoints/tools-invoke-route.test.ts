import { setTimeout as delay } from 'node:timers/promises';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Tool } from '../../lib/agents/tool-registry.js';
import { AgentGateway, agentGatewayPerTest } from '../helpers/agent-gateway.js';
import { TOKEN } from '../helpers/connect.js';
import { startNode } from '../helpers/nodes.js';

const { start, defer } = agentGatewayPerTest();

async function invoke(h: AgentGateway, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.httpUrl}/tools/invoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const echoTool: Tool = {
  name: 'echo',
  description: 'Echo back',
  parameters: { type: 'object', properties: { text: { type: 'string' }, action: { type: 'string' } }, required: ['text'], additionalProperties: false },
  execute: (args, ctx) => ({ text: String(args.text), details: { args, sessionKey: ctx.sessionKey, channel: ctx.messageChannel ?? null, account: ctx.accountId ?? null } }),
};

describe('POST /tools/invoke (protocol §8.4)', () => {
  it('runs a tool with the main session by default and returns {ok:true, result}', async () => {
    const h = await start({ tools: [echoTool] });
    const res = await invoke(h, { tool: 'echo', action: 'say', args: { text: 'hi' } }, { 'x-openclaw-message-channel': 'telegram', 'x-openclaw-account-id': 'acct' });
    expect(res).toEqual({
      status: 200,
      body: { ok: true, result: { args: { text: 'hi', action: 'say' }, sessionKey: 'agent:main:main', channel: 'telegram', account: 'acct' } },
    });
    const scoped = await invoke(h, { tool: 'echo', args: { text: 'x' }, sessionKey: 'agent:main:other' });
    expect(scoped.body.result.sessionKey).toBe('agent:main:other');
    const sessions = await invoke(h, { tool: 'sessions_list', args: {} });
    expect(sessions).toEqual({ status: 200, body: { ok: true, result: { count: 0, sessions: [] } } });
  });

  it('invokes a real node command through node.invoke', async () => {
    const h = await start();
    const node = await startNode(h.wsUrl);
    defer(() => node.client.close());
    const res = await invoke(h, { tool: 'nodes', action: 'invoke', args: { node: 'node-host', command: 'canvas.eval', params: { js: '2+2' } } });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ ok: true, nodeId: 'node-host', command: 'canvas.eval', payload: { echo: { js: '2+2' } } });
    const offline = await invoke(h, { tool: 'nodes', action: 'invoke', args: { node: 'ghost', command: 'canvas.eval' } });
    expect(offline).toEqual({ status: 400, body: { ok: false, error: { type: 'tool_error', message: 'node not connected' } } });
  });

  it('answers 404 for unknown and policy-denied tools, 400 for bad arguments and tool failures', async () => {
    const h = await start({ tools: [echoTool], toolPolicy: { deny: ['nodes'] } });
    expect(await invoke(h, { tool: 'nope' })).toEqual({ status: 404, body: { ok: false, error: { type: 'not_found', message: 'Tool not available: nope' } } });
    expect(await invoke(h, { tool: 'nodes', args: { action: 'list' } })).toEqual({ status: 404, body: { ok: false, error: { type: 'not_found', message: 'Tool not available: nodes' } } });
    const bad = await invoke(h, { tool: 'echo', args: { wrong: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe('tool_error');
    expect(bad.body.error.message).toContain('invalid arguments for echo');
    const unavailable = await invoke(h, { tool: 'message', args: { to: '+1555', message: 'hi' } });
    expect(unavailable).toEqual({
      status: 400,
      body: { ok: false, error: { type: 'tool_error', message: 'sending messages is unavailable: this gateway has no send method (no messaging channel is configured)' } },
    });
    expect((await invoke(h, { args: {} })).body).toEqual({ ok: false, error: { type: 'invalid_request', message: '`tool` (string) is required' } });
    expect((await invoke(h, '{oops')).status).toBe(400);
  });

  it('needs the gateway secret, POST, and a body under 2 MB', async () => {
    const h = await start({ tools: [echoTool] });
    const anonymous = await fetch(`${h.httpUrl}/tools/invoke`, { method: 'POST', body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { message: 'Unauthorized', type: 'unauthorized' } });
    expect((await invoke(h, { tool: 'echo' }, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    await delay(300); // the brute-force backoff after a wrong token
    const get = await fetch(`${h.httpUrl}/tools/invoke`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const big = await invoke(h, { tool: 'echo', args: { text: 'x'.repeat(2 * 1024 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.ok).toBe(false);
    // Declared far beyond the limit: answered at once, without waiting for (or reading) the body.
    const socket = connect(Number(new URL(h.httpUrl).port), '127.0.0.1');
    socket.write(`POST /tools/invoke HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-length: ${64 * 1024 * 1024}\r\n\r\n{"tool":`);
    let reply = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    await once(socket, 'close');
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.toLowerCase()).toContain('connection: close');
  });
  it('refuses a local file as message media: a remote HTTP caller (or the model) must not upload host files', async () => {
    const h = await start();
    const sent: unknown[] = [];
    h.gateway.registerMethod('send', (params) => {
      sent.push(params);
      return { runId: params.idempotencyKey, messageId: 'm1', channel: 'whatsapp' };
    });
    for (const mediaUrl of ['/etc/passwd', 'file:///etc/passwd', '~/.openclaw/openclaw.json']) {
      const res = await invoke(h, { tool: 'message', args: { to: '+1999', message: 'x', mediaUrl } });
      expect(res.status, mediaUrl).toBe(400);
      expect(res.body.error.message).toContain('http(s) URL');
    }
    expect(sent).toEqual([]);
    const ok = await invoke(h, { tool: 'message', args: { to: '+1999', message: 'x', mediaUrl: 'https://example.com/a.png' } });
    expect(ok.status).toBe(200);
    expect(sent).toEqual([expect.objectContaining({ mediaUrl: 'https://example.com/a.png' })]);
  });
});
