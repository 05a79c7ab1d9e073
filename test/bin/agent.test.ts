import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../lib/file-storage.js';
import { SessionStore } from '../../lib/sessions/session-store.js';
import { FakeModelServer } from '../helpers/fake-model-server.js';
import { connectPeer, killAll, makeEnv, runCli, startGateway, type TestEnv } from './helpers.js';

const TOKEN = 'cli-agent-token-0123456789';
let model: FakeModelServer | undefined;

afterEach(async () => {
  await killAll();
  await model?.close();
  model = undefined;
});

/** A config that points the default agent at the fake model server. */
async function configured(extra: Record<string, unknown> = {}): Promise<TestEnv> {
  model = await FakeModelServer.start('openai');
  const t = await makeEnv();
  const config = {
    gateway: { mode: 'local', auth: { token: TOKEN } },
    agents: { defaults: { model: 'fake/m1', ...extra } },
    models: { providers: { fake: { baseUrl: model.baseUrl, apiKeyEnv: 'FAKE_API_KEY', api: 'openai-completions' } } },
  };
  await writeFile(t.configPath, JSON.stringify(config));
  t.env.FAKE_API_KEY = 'sk-from-env';
  return t;
}

describe('openclaw agent', () => {
  it('prints the reply as it streams and exits 0; --json prints the final payload; failures exit 1', async () => {
    const t = await configured();
    model!.script({ text: ['Hello', ' from', ' the agent'] }, { text: ['again'] });
    const gw = await startGateway(['--port', '0'], t);
    const r = await runCli(['agent', '--message', 'hi', '--agent', 'main', '--url', gw.url, '--token', TOKEN], t, 20_000);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toBe('Hello from the agent\n');
    expect(model!.requests[0]!.headers.authorization).toBe('Bearer sk-from-env');

    const j = await runCli(['agent', '-m', 'again', '-t', '+15551234567', '--json', '--url', gw.url, '--token', TOKEN], t, 20_000);
    expect(j.code, j.output).toBe(0);
    const payload = JSON.parse(j.stdout);
    expect(payload).toMatchObject({ status: 'ok', summary: 'completed', result: { payloads: [{ text: 'again', mediaUrl: null }], meta: { aborted: false } } });
    // Direct chats share the main session by default, so the second turn saw the first.
    expect(model!.requests[1]!.body.messages.map((m: any) => m.content).slice(1)).toEqual(['hi', 'Hello from the agent', 'again']);

    model!.script({ status: 401, errorBody: { error: { message: 'key revoked' } } });
    const failed = await runCli(['agent', '--message', 'x', '--agent', 'main', '--url', gw.url, '--token', TOKEN], t, 20_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('fake rejected the API key (HTTP 401): key revoked');
  });

  it('refuses to run without a target, before connecting anywhere', async () => {
    const t = await configured();
    const noTarget = await runCli(['agent', '--message', 'x', '--url', 'ws://127.0.0.1:9', '--token', TOKEN], t);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toContain('openclaw agent needs one of --to <target>, --session-id <id> or --agent <id>');
  });

  it('loses no acknowledged transcript line when the gateway is killed mid-run', async () => {
    const t = await configured({ verboseDefault: 'on' });
    model!.script({ text: ['Looking.'], toolCalls: [{ id: 'c1', name: 'sessions_list', arguments: {} }] }, { text: ['half an ans'], hangAfter: 2 });
    const gw = await startGateway(['--port', '0'], t);
    const peer = await connectPeer(gw.url, TOKEN);
    peer.ws.send(JSON.stringify({ type: 'req', id: 'a1', method: 'agent', params: { message: 'list my sessions', idempotencyKey: 'crash-1' } }));
    // The tool result event acknowledges the toolResult line; the streaming delta, the second model call.
    await peer.next((f) => f.event === 'agent' && f.payload.stream === 'tool' && f.payload.data.phase === 'result');
    await peer.next((f) => f.event === 'agent' && f.payload.stream === 'assistant' && f.payload.data.text === 'half an ans');
    peer.ws.terminate();
    gw.proc.kill('SIGKILL');
    await gw.proc.wait();

    const store = new SessionStore({ storage: new FileStorage(t.stateDir) });
    const entry = (await store.get('main', 'agent:main:main'))!;
    const messages = (await store.messages('main', entry)).map((l) => l.message);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult']);
    expect(messages[0]).toMatchObject({ content: 'list my sessions' });
    expect(messages[2]).toMatchObject({ toolCallId: 'c1', isError: false });

    // A restarted gateway carries on from the same transcript.
    model!.script({ text: ['Back.'] });
    const again = await startGateway(['--port', '0'], t);
    const peer2 = await connectPeer(again.url, TOKEN);
    peer2.ws.send(JSON.stringify({ type: 'req', id: 'a2', method: 'agent', params: { message: 'still there?', idempotencyKey: 'after-crash' } }));
    const final = await peer2.next((f) => f.type === 'res' && f.id === 'a2' && f.payload?.status !== 'accepted', 10_000);
    expect(final.payload.result.payloads).toEqual([{ text: 'Back.', mediaUrl: null }]);
    peer2.ws.close();
    const sent = model!.requests.at(-1)!.body.messages.map((m: any) => m.role);
    expect(sent).toEqual(['system', 'user', 'assistant', 'tool', 'user']);
  });
});
