import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RUN_INTERRUPTED } from '../../lib/agents/run-journal.js';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { FakeModelServer } from '../helpers/fake-model-server.js';
import { connectPeer, killAll, makeEnv, startGateway, type TestEnv, type WsPeer } from './helpers.js';

const TOKEN = 'durability-token-0123456789';
let model: FakeModelServer | undefined;
let stub: BotApiStub | undefined;

afterEach(async () => {
  await killAll();
  await model?.close();
  await stub?.close();
  model = undefined;
  stub = undefined;
});

/** A gateway config with the fake model as the default agent's and Telegram against the Bot API stand-in. */
async function configured(): Promise<TestEnv> {
  model = await FakeModelServer.start('openai');
  stub = await new BotApiStub().start();
  const t = await makeEnv();
  const config = {
    gateway: { mode: 'local', auth: { token: TOKEN } },
    agents: { defaults: { model: 'fake/m1' } },
    models: { providers: { fake: { baseUrl: model.baseUrl, apiKey: 'sk-fake', api: 'openai-completions' } } },
    channels: { telegram: { botToken: stub.token, apiRoot: stub.apiRoot, dmPolicy: 'open' } },
  };
  await writeFile(t.configPath, JSON.stringify(config));
  return t;
}

let ids = 0;
async function request(peer: WsPeer, method: string, params: unknown): Promise<any> {
  const id = `d${++ids}`;
  peer.ws.send(JSON.stringify({ type: 'req', id, method, params }));
  return peer.next((f) => f.type === 'res' && f.id === id);
}

describe('nothing lost across a kill -9', () => {
  it('a Telegram message the gateway was answering when killed is answered exactly once after the restart', async () => {
    const t = await configured();
    model!.script({ text: ['let me see'], hangAfter: 1 });
    const gw = await startGateway(['--port', '0'], t);
    await stub!.waitFor((c) => c.method === 'getUpdates', 10_000);
    const update = stub!.pushMessage({ text: 'hello there', fromId: 1001, firstName: 'Ada' });
    // The agent is working on it, and the update was confirmed to Telegram (the offset moved on):
    // from here only the gateway's own state can bring the message back.
    await model!.waitForRequests(1, 10_000);
    await stub!.waitFor((c) => c.method === 'getUpdates' && Number(c.body.offset) === update.update_id + 1, 10_000);
    gw.proc.kill('SIGKILL');
    await gw.proc.wait();

    model!.script({ text: ['Hi Ada!'] });
    const again = await startGateway(['--port', '0'], t);
    const [reply] = await stub!.waitForCount('sendMessage', 1, 15_000);
    expect(reply!.body).toMatchObject({ chat_id: '1001', text: 'Hi Ada!', reply_parameters: { message_id: update.message.message_id } });

    // The cut-off run says what happened to it.
    const peer = await connectPeer(again.url, TOKEN);
    const runId = `telegram:default:1001:${update.message.message_id}`;
    const wait = await request(peer, 'agent.wait', { runId, timeoutMs: 10 });
    expect(wait.payload).toMatchObject({ runId, status: 'error', error: RUN_INTERRUPTED });
    const history = await request(peer, 'chat.history', { sessionKey: 'agent:main:telegram:dm:1001' });
    expect(history.payload.messages.map((m: any) => [m.role, m.errorMessage ?? m.content?.[0]?.text ?? m.content])).toEqual([
      ['user', 'hello there'],
      ['assistant', RUN_INTERRUPTED],
      ['user', 'hello there'],
      ['assistant', 'Hi Ada!'],
    ]);
    peer.ws.close();

    // A graceful stop and another start have nothing left to answer or send.
    again.proc.kill('SIGTERM');
    expect((await again.proc.wait(15_000)).code).toBe(0);
    const polls = stub!.sent('getUpdates').length;
    await startGateway(['--port', '0'], t);
    await stub!.waitFor((c) => c.method === 'getUpdates' && stub!.sent('getUpdates').length > polls, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(stub!.sent('sendMessage')).toHaveLength(1);
    expect(model!.requests).toHaveLength(2);
  }, 60_000);
});
