import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BotApiStub } from '../../channels/bot-api-stub.js';
import { TOKEN } from '../../helpers/connect.js';
import { FakeModelServer } from '../../helpers/fake-model-server.js';
import { killAll, makeEnv, parseJson, runCli, startGateway, type TestEnv } from '../helpers.js';

const stubs: BotApiStub[] = [];
const models: FakeModelServer[] = [];
afterEach(async () => {
  await killAll();
  await Promise.all(stubs.splice(0).map((s) => s.close()));
  await Promise.all(models.splice(0).map((m) => m.close()));
});

/** A spawned `openclaw gateway` whose Telegram channel talks to a Bot API stand-in (channels.telegram.apiRoot). */
async function gatewayWithTelegram(telegram: Record<string, unknown> = {}) {
  const stub = await new BotApiStub().start();
  stubs.push(stub);
  const model = await FakeModelServer.start('openai');
  models.push(model);
  const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
  await writeFile(
    t.configPath,
    JSON.stringify({
      gateway: { mode: 'local' },
      models: { providers: { local: { baseUrl: model.baseUrl, apiKey: 'k', api: 'openai-completions', models: [{ id: 'stand-in' }] } } },
      agents: { defaults: { model: 'local/stand-in' } },
      channels: { telegram: { botToken: stub.token, apiRoot: stub.apiRoot, ...telegram } },
    }),
  );
  const gw = await startGateway(['--port', '0'], t);
  await stub.waitFor((c) => c.method === 'getUpdates');
  const cli = (...args: string[]) => runCli([...args, '--url', gw.url], t);
  return { stub, model, t, gw, cli };
}

// Each test below spawns a gateway and half a dozen CLI processes one after another: on two busy
// cores that takes longer than the default 20 s, without anything being wrong.
describe('openclaw message send', () => {
  it('sends through the running gateway and prints the stable JSON shape', async () => {
    const { stub, cli, t } = await gatewayWithTelegram();
    const sent = await cli('message', 'send', '--channel', 'telegram', '--target', '0777', '--message', 'hello from the CLI', '--json');
    expect(sent.code, sent.output).toBe(0);
    const out = parseJson(sent.stdout);
    expect(out).toEqual({
      action: 'send',
      channel: 'telegram',
      dryRun: false,
      handledBy: 'gateway',
      payload: { runId: expect.stringMatching(/^[0-9a-f-]{36}$/), messageId: expect.any(String), channel: 'telegram', chatId: '777' },
    });
    // --target is passed verbatim (cac would have made "0777" a number).
    expect(stub.sent('sendMessage').map((c) => c.body)).toEqual([expect.objectContaining({ chat_id: '0777', text: 'hello from the CLI' })]);

    const media = join(t.home, 'photo.png');
    await writeFile(media, 'PNG');
    const human = await cli('message', 'send', '--channel', 'telegram', '--target', '42', '--media', 'photo.png', '--message', 'caption');
    expect(human.code, human.output).toBe(0);
    expect(human.stdout).toMatch(/^Sent via telegram \(message \d+ in chat 42\)\.\n$/);
    expect(stub.sent('sendPhoto')[0]!.raw).toContain('caption');

    const unsupported = await cli('message', 'send', '--channel', 'sms', '--target', '1', '--message', 'x');
    expect(unsupported.code).toBe(1);
    expect(unsupported.stderr).toBe('openclaw: unsupported channel: sms\n');
    const notLinked = await cli('message', 'send', '--target', '+15550001111', '--message', 'x');
    expect(notLinked.stderr).toMatch(/^openclaw: WhatsApp is not linked; run openclaw channels login --channel whatsapp/);
    const missing = await cli('message', 'send', '--target', '1', '--media', 'nope.png');
    expect(missing.stderr).toMatch(/--media file not found/);
  }, 60_000);

  it('--dry-run prints the request without contacting the gateway; without one, sends fail fast', async () => {
    const t = await makeEnv();
    const dry = await runCli(['message', 'send', '--target', '+15550001111', '--message', 'hi', '--dry-run', '--json', '--url', 'ws://127.0.0.1:9'], t);
    expect(dry.code, dry.output).toBe(0);
    expect(parseJson(dry.stdout)).toEqual({
      action: 'send',
      channel: 'whatsapp',
      dryRun: true,
      handledBy: 'dry-run',
      payload: { to: '+15550001111', message: 'hi', channel: 'whatsapp', idempotencyKey: expect.any(String) },
    });
    const usage = await runCli(['message', 'send', '--message', 'x'], t);
    expect(usage.stderr).toMatch(/--target is required/);
    const down = await runCli(['message', 'send', '--channel', 'telegram', '--target', '1', '--message', 'x', '--url', 'ws://127.0.0.1:9'], t);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^openclaw: gateway at ws:\/\/127\.0\.0\.1:9/);
  });

});

describe('openclaw channels status and pairing (spawned gateway)', () => {
  it('shows channel status and pairs an unknown Telegram sender across processes', async () => {
    const { stub, model, cli, t } = await gatewayWithTelegram({ dmPolicy: 'pairing' });
    const status = await cli('channels', 'status', '--json');
    expect(status.code, status.output).toBe(0);
    expect(parseJson(status.stdout)).toMatchObject({
      channelOrder: ['telegram'],
      channels: { telegram: { connected: true } },
      channelAccounts: { telegram: [expect.objectContaining({ accountId: 'default', botUsername: 'claw_bot', dmPolicy: 'pairing' })] },
    });
    const human = await cli('channels');
    expect(human.stdout).toMatch(/^Telegram default: connected \(polling, @claw_bot\) dm pairing/);

    stub.pushMessage({ text: 'hi', fromId: 321, firstName: 'Zoe' });
    const notice = (await stub.waitForCount('sendMessage', 1))[0]!.body;
    const code = /Pairing code: ([A-Z2-9]{8})/.exec(notice.text)![1]!;
    expect(notice.text).toContain(`openclaw pairing approve telegram ${code}`);

    const listed = await runCli(['pairing', 'list', 'telegram', '--json'], t);
    expect(parseJson(listed.stdout)).toMatchObject({ channel: 'telegram', pending: [expect.objectContaining({ code, senderId: '321', senderName: 'Zoe' })], allowed: [] });
    const approved = await runCli(['pairing', 'approve', 'telegram', code], t);
    expect(approved.code, approved.output).toBe(0);
    expect(approved.stdout).toBe('Approved Zoe (321) on telegram; their next message reaches the agent.\n');
    const again = await runCli(['pairing', 'approve', 'telegram', code], t);
    expect(again.stderr).toBe(`openclaw: unknown or expired pairing code for telegram: ${code}\n`);

    model.script({ text: ['Hi Zoe, you are in.'] });
    stub.pushMessage({ text: 'and now?', fromId: 321 });
    const reply = (await stub.waitForCount('sendMessage', 2))[1]!.body;
    expect(reply).toMatchObject({ chat_id: '321', text: 'Hi Zoe, you are in.' });
    expect(JSON.stringify(model.requests[0]!.body.messages)).toContain('and now?');
  }, 60_000);

  it('the token stays out of the gateway output even when the Bot API refuses it', async () => {
    const stub = await new BotApiStub().start();
    stubs.push(stub);
    const t: TestEnv = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN, TELEGRAM_BOT_TOKEN: '31337:wrong-token-do-not-print' });
    await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local' }, channels: { telegram: { apiRoot: stub.apiRoot } } }));
    const gw = await startGateway(['--port', '0', '--verbose'], t);
    await gw.proc.waitFor(/rejected the bot token/);
    const status = await runCli(['channels', 'status', '--json', '--url', gw.url], t);
    expect(parseJson(status.stdout).channelAccounts.telegram[0]).toMatchObject({ running: false, tokenSource: 'env', lastError: expect.stringContaining('401') });
    expect(gw.proc.output + status.output).not.toContain('wrong-token-do-not-print');
  });
});
