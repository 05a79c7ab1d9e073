import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelsConfig } from '../../../lib/channels/channel-manager.js';
import type { BotApiStub } from '../../channels/bot-api-stub.js';
import { waitForStatus } from '../../channels/helpers.js';
import { startHarness, type ChannelHarness } from './harness.js';

const PEER = '4915112345678@s.whatsapp.net';

describe('inbound routing (channel -> agent -> reply)', () => {
  let h: ChannelHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function telegram(channels: (stub: BotApiStub) => ChannelsConfig) {
    h = await startHarness({ channels });
    await waitForStatus(h.manager.channel('telegram')!, (s) => s.connected);
    return h;
  }

  const tg = (extra: Record<string, unknown>) => (stub: BotApiStub) => ({ telegram: { botToken: stub.token, apiRoot: stub.apiRoot, ...extra } });

  it('a DM from an allowed sender runs the agent in that sender\'s session and the reply goes back to the chat', async () => {
    const h = await telegram(tg({ dmPolicy: 'allowlist', allowFrom: ['@ada'] }));
    h.model.script({ text: ['Hello ', 'Ada!'] });
    const inbound = h.stub.pushMessage({ text: 'hi agent', fromId: 77, username: 'Ada' });
    const outcome = await h.nextInbound();
    expect(outcome).toMatchObject({ action: 'replied', sessionKey: 'agent:main:telegram:dm:77', parts: 1 });

    const reply = (await h.stub.waitForCount('sendMessage', 1))[0]!;
    expect(reply.body).toMatchObject({ chat_id: '77', text: 'Hello Ada!', reply_parameters: { message_id: inbound.message.message_id } });
    const prompt = JSON.stringify(h.model.requests[0]!.body.messages);
    expect(prompt).toContain('hi agent');

    const sessions = await h.gateway.call('sessions.list', {});
    expect(sessions.sessions.map((s) => s.key)).toContain('agent:main:telegram:dm:77');
    expect(h.manager.status().channelAccounts.telegram![0]!.lastInboundAt).toEqual(expect.any(Number));
  });

  it('keeps one session per sender and answers messages of one sender in order', async () => {
    const h = await telegram(tg({ dmPolicy: 'open' }));
    h.model.script({ text: ['first answer'], delayMs: 40 }, { text: ['second answer'] }, { text: ['other sender'] });
    h.stub.pushMessage({ text: 'one', fromId: 1 });
    h.stub.pushMessage({ text: 'two', fromId: 1 });
    const outcomes = [await h.nextInbound(), await h.nextInbound()];
    expect(outcomes.map((o) => o.action)).toEqual(['replied', 'replied']);
    expect(h.stub.sent('sendMessage').map((c) => c.body.text)).toEqual(['first answer', 'second answer']);
    // The second turn saw the first in its history: same session.
    expect(JSON.stringify(h.model.requests[1]!.body.messages)).toContain('first answer');

    h.stub.pushMessage({ text: 'three', fromId: 2 });
    expect(await h.nextInbound()).toMatchObject({ sessionKey: 'agent:main:telegram:dm:2' });
    expect(JSON.stringify(h.model.requests[2]!.body.messages)).not.toContain('first answer');
  });

  it('pairing: an unknown sender gets one code; once approved, their messages reach the agent', async () => {
    const h = await telegram(tg({}));
    h.stub.pushMessage({ text: 'let me in', fromId: 500, firstName: 'Eve' });
    const pairing = await h.nextInbound();
    expect(pairing).toMatchObject({ action: 'pairing', created: true, code: expect.stringMatching(/^[A-Z2-9]{8}$/) });
    const code = (pairing as { code: string }).code;
    const notice = (await h.stub.waitForCount('sendMessage', 1))[0]!.body;
    expect(notice.chat_id).toBe('500');
    expect(notice.text).toContain(`openclaw pairing approve telegram ${code}`);
    expect(h.model.requests).toHaveLength(0);

    h.stub.pushMessage({ text: 'hello?', fromId: 500 });
    expect(await h.nextInbound()).toEqual({ action: 'pairing', code, created: false });
    expect(h.stub.sent('sendMessage')).toHaveLength(1);

    const pending = JSON.parse(await readFile(join(h.stateDir, 'credentials/telegram-pairing.json'), 'utf8'));
    expect(pending[code]).toMatchObject({ senderId: '500', senderName: 'Eve', channel: 'telegram' });
    await h.manager.pairing.approve('telegram', code.toLowerCase());
    const allowed = JSON.parse(await readFile(join(h.stateDir, 'credentials/telegram-allowFrom.json'), 'utf8'));
    expect(Object.keys(allowed)).toEqual(['500']);

    h.model.script({ text: ['welcome'] });
    h.stub.pushMessage({ text: 'now?', fromId: 500 });
    expect(await h.nextInbound()).toMatchObject({ action: 'replied' });
    expect(h.stub.sent('sendMessage').at(-1)!.body.text).toBe('welcome');
  });

  it('allowlist drops unknown senders silently; open answers anyone', async () => {
    const h = await telegram(tg({ dmPolicy: 'allowlist', allowFrom: [12345] }));
    h.stub.pushMessage({ text: 'stranger', fromId: 999 });
    expect(await h.nextInbound()).toEqual({ action: 'dropped', reason: 'sender not in allowFrom' });
    h.stub.pushMessage({ text: 'friend', fromId: 12345 });
    expect(await h.nextInbound()).toMatchObject({ action: 'replied' });
    expect(h.stub.sent('sendMessage').map((c) => c.body.chat_id)).toEqual(['12345']);

    await h.manager.reload('telegram', { botToken: h.stub.token, apiRoot: h.stub.apiRoot, dmPolicy: 'open' });
    h.stub.pushMessage({ text: 'stranger again', fromId: 999 });
    expect(await h.nextInbound()).toMatchObject({ action: 'replied', sessionKey: 'agent:main:telegram:dm:999' });
  });

  it('groups: answered only when mentioned, unless configured otherwise', async () => {
    const h = await telegram(tg({ dmPolicy: 'allowlist', groups: { '-100777': { requireMention: false } } }));
    h.stub.pushMessage({ text: 'chatter', chatType: 'supergroup', chatId: -100500, fromId: 3 });
    expect(await h.nextInbound()).toEqual({ action: 'dropped', reason: 'not mentioned' });

    h.model.script({ text: ['group answer'] });
    h.stub.pushMessage({
      text: '@claw_bot summarise',
      chatType: 'supergroup',
      chatId: -100500,
      fromId: 3,
      firstName: 'Bo',
      entities: [{ type: 'mention', offset: 0, length: 9 }],
    });
    expect(await h.nextInbound()).toMatchObject({ action: 'replied', sessionKey: 'agent:main:telegram:group:-100500' });
    expect(h.stub.sent('sendMessage').at(-1)!.body).toMatchObject({ chat_id: '-100500', text: 'group answer' });
    expect(JSON.stringify(h.model.requests.at(-1)!.body.messages)).toContain('[Bo] summarise');

    h.stub.pushMessage({ text: 'no mention needed here', chatType: 'supergroup', chatId: -100777, fromId: 3 });
    expect(await h.nextInbound()).toMatchObject({ action: 'replied', sessionKey: 'agent:main:telegram:group:-100777' });

    await h.manager.reload('telegram', { botToken: h.stub.token, apiRoot: h.stub.apiRoot, groupPolicy: 'allowlist', groups: { '-100777': {} } });
    h.stub.pushMessage({ text: '@claw_bot hi', chatType: 'supergroup', chatId: -100500, fromId: 3, entities: [{ type: 'mention', offset: 0, length: 9 }] });
    expect(await h.nextInbound()).toEqual({ action: 'dropped', reason: 'group not in groups' });
  });

  it('a failed agent run sends nothing back', async () => {
    const h = await telegram(tg({ dmPolicy: 'open' }));
    h.model.script({ status: 500, errorBody: { error: { message: 'model exploded', type: 'server_error' } } });
    h.stub.pushMessage({ text: 'boom', fromId: 8 });
    expect(await h.nextInbound()).toMatchObject({ action: 'failed', error: expect.stringContaining('model exploded') });
    expect(h.stub.sent('sendMessage')).toHaveLength(0);
  });

  it('WhatsApp: a linked account answers an allowed number in the same chat, quoting it', async () => {
    h = await startHarness({ channels: () => ({ whatsapp: { allowFrom: ['+49 151 12345678'] } }) });
    const harness = h;
    await harness.gateway.call('web.login.start', {});
    const waiting = harness.gateway.call('web.login.wait', { timeoutMs: 5000 });
    (await harness.wa.socket(0)).scan('15551234567:3@s.whatsapp.net');
    await waiting;
    const sock = await harness.wa.socket(1);
    harness.model.script({ text: ['Hallo!'] });
    sock.receive({ key: { remoteJid: PEER, fromMe: false, id: 'WA-IN-1' }, pushName: 'Jo', message: { conversation: 'moin' } });
    expect(await harness.nextInbound()).toMatchObject({ action: 'replied', sessionKey: `agent:main:whatsapp:dm:${PEER}` });
    expect(sock.sent).toHaveLength(1);
    expect(sock.sent[0]).toMatchObject({ jid: PEER, content: { text: 'Hallo!' } });
    expect(sock.sent[0]!.options?.quoted?.key.id).toBe('WA-IN-1');

    sock.receive({ key: { remoteJid: '4917000000000@s.whatsapp.net', fromMe: false, id: 'WA-IN-2' }, message: { conversation: 'who?' } });
    expect(await harness.nextInbound()).toMatchObject({ action: 'pairing', created: true });
    expect(harness.logger.lines.join('\n')).not.toMatch(/4917000000000|4915112345678/);
  });
});
