import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { channelsRuntimePlugin } from '../../runtime/channels-runtime-plugin.js';
import { telegramChannelDefinition } from '../../channels/telegram.js';
import { loadCliContext } from '../../bin/cli-context.js';
import { GatewayRuntime } from '../../runtime/gateway-runtime.js';
import { BotApiStub } from '../channels/bot-api-stub.js';
import { TOKEN } from '../helpers/connect.js';

const runtimes: GatewayRuntime[] = [];
const stubs: BotApiStub[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  await Promise.all(stubs.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function stub(token?: string): Promise<BotApiStub> {
  const s = await new BotApiStub(token).start();
  stubs.push(s);
  return s;
}

async function runtimeWith(config: Record<string, unknown>, env: Record<string, string> = {}) {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-channels-plugin-'));
  dirs.push(home);
  const configPath = join(home, 'openclaw.json');
  const write = (value: Record<string, unknown>) => writeFile(configPath, JSON.stringify({ gateway: { mode: 'local' }, ...value }));
  await write(config);
  const ctx = await loadCliContext({}, { HOME: home, OPENCLAW_STATE_DIR: home, OPENCLAW_CONFIG_PATH: configPath, OPENCLAW_GATEWAY_TOKEN: TOKEN, ...env });
  const runtime = new GatewayRuntime({
    environment: ctx,
    overrides: { port: '0' },
    out: () => undefined,
    plugins: [channelsRuntimePlugin({ definitions: [telegramChannelDefinition({ backoff: { initialMs: 20, maxMs: 100, jitter: 0 } })] })],
    logDir: join(home, 'logs'),
  });
  await runtime.start();
  runtimes.push(runtime);
  return { runtime, write };
}

describe('channels runtime plugin', () => {
  it('starts channels from config and restarts only the changed channel on a hot reload', async () => {
    const first = await stub();
    const second = await stub('987654:OTHER-token-xyz');
    const { runtime, write } = await runtimeWith({ channels: { telegram: { botToken: first.token, apiRoot: first.apiRoot } } });
    const gateway = runtime.gateway!;
    expect(gateway.methods()).toEqual(expect.arrayContaining(['send', 'channels.status', 'channels.logout', 'web.login.start', 'web.login.wait']));
    await first.waitFor((c) => c.method === 'getUpdates');

    await write({ channels: { telegram: { botToken: second.token, apiRoot: second.apiRoot, dmPolicy: 'open' } } });
    await runtime.reloadFromFile();
    expect(runtime.gateway).toBe(gateway);
    await second.waitFor((c) => c.method === 'getUpdates');
    const status = await gateway.call('channels.status', {});
    expect(status.channelAccounts.telegram![0]).toMatchObject({ dmPolicy: 'open', running: true });
    const sent = await gateway.call('send', { channel: 'telegram', to: '5', message: 'via the new bot', idempotencyKey: 'reload-1' });
    expect(sent.channel).toBe('telegram');
    expect(second.sent('sendMessage')).toHaveLength(1);
    expect(first.sent('sendMessage')).toHaveLength(0);
  });

  it('serves Telegram webhooks on the gateway port', async () => {
    const api = await stub();
    const { runtime } = await runtimeWith({
      channels: { telegram: { botToken: api.token, apiRoot: api.apiRoot, webhookUrl: 'https://claw.example.com/hooks/tg', webhookSecret: 'wh-secret-1' } },
    });
    await api.waitFor((c) => c.method === 'setWebhook');
    const post = (secret: string) =>
      fetch(`http://127.0.0.1:${runtime.port}/hooks/tg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
        body: JSON.stringify({ update_id: 1, message: { message_id: 9, date: 1, chat: { id: 4, type: 'private' }, from: { id: 4, is_bot: false, first_name: 'W' }, text: 'hook' } }),
      });
    expect((await post('nope')).status).toBe(401);
    expect((await post('wh-secret-1')).status).toBe(200);
    // The update went through routing: an unknown sender under the default pairing policy gets a code.
    const notice = (await api.waitForCount('sendMessage', 1))[0]!.body;
    expect(notice).toMatchObject({ chat_id: '4', text: expect.stringContaining('Pairing code') });
    expect((await fetch(`http://127.0.0.1:${runtime.port}/elsewhere`)).status).toBe(404);
    expect(api.sent('getUpdates')).toHaveLength(0);
  });

  it('OPENCLAW_SKIP_CHANNELS leaves channels off', async () => {
    const api = await stub();
    const { runtime } = await runtimeWith({ channels: { telegram: { botToken: api.token, apiRoot: api.apiRoot } } }, { OPENCLAW_SKIP_CHANNELS: '1' });
    expect(runtime.gateway!.methods()).not.toContain('send');
    expect(api.calls).toHaveLength(0);
  });
});
