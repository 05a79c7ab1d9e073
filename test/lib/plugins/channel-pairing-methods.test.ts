import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForStatus } from '../../channels/helpers.js';
import { v4Problems } from '../../helpers/v4-conformance.js';
import { startHarness, type ChannelHarness } from '../channels/harness.js';

describe('channels.pairing.list|approve|dismiss (DM pairing codes over RPC)', () => {
  let h: ChannelHarness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function withPairingRequests(): Promise<{ h: ChannelHarness; codes: Record<string, string> }> {
    h = await startHarness({ channels: (stub) => ({ telegram: { botToken: stub.token, apiRoot: stub.apiRoot, dmPolicy: 'pairing' } }) });
    await waitForStatus(h.manager.channel('telegram')!, (s) => s.connected);
    const codes: Record<string, string> = {};
    for (const [fromId, firstName] of [[500, 'Eve'], [501, 'Mallory']] as const) {
      h.stub.pushMessage({ text: 'let me in', fromId, firstName });
      const outcome = await h.nextInbound();
      if (outcome.action !== 'pairing') throw new Error(`expected a pairing code, got ${JSON.stringify(outcome)}`);
      codes[firstName] = outcome.code;
    }
    return { h, codes };
  }

  it('lists pending codes per account in protocol 4 shape, with the limits that apply', async () => {
    const { h, codes } = await withPairingRequests();
    const list = await h.gateway.call('channels.pairing.list', {});
    expect(list.accounts).toEqual([
      { channel: 'telegram', channelLabel: 'Telegram', accountId: 'default', notifySupported: false },
    ]);
    expect(list.limits).toEqual({ pendingPerAccount: 10, ttlMs: 3_600_000 });
    expect(list.commandOwnerConfigured).toBe(false);
    expect(list.requests.map((r) => [r.requestId, r.senderId, r.senderLabel])).toEqual(
      expect.arrayContaining([
        [codes.Eve, '500', 'Eve'],
        [codes.Mallory, '501', 'Mallory'],
      ]),
    );
    const eve = list.requests.find((r) => r.senderId === '500')!;
    expect(eve).toMatchObject({ channel: 'telegram', channelLabel: 'Telegram', accountId: 'default', metadata: { chatId: '500' }, notifySupported: false });
    expect(Date.parse(eve.expiresAt) - Date.parse(eve.createdAt)).toBe(3_600_000);
    // Upstream's protocol 4 schema is the judge of the shape.
    expect(v4Problems('ChannelsPairingListResult', list)).toEqual([]);

    expect((await h.gateway.call('channels.pairing.list', { channel: 'whatsapp' })).requests).toEqual([]);
    expect((await h.gateway.call('channels.pairing.list', { channel: 'telegram', accountId: 'other' })).requests).toEqual([]);
    await expect(h.gateway.call('channels.pairing.list', { channel: 'sms' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unsupported channel: sms' });
  });

  it('approve lets the sender in (allowFrom file written); dismiss drops the code without allowing anyone', async () => {
    const { h, codes } = await withPairingRequests();
    await expect(h.gateway.call('channels.pairing.approve', { channel: 'telegram', accountId: 'other', requestId: codes.Eve! })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: `pairing code ${codes.Eve} was issued by telegram account default, not other`,
    });

    const approved = await h.gateway.call('channels.pairing.approve', { channel: 'telegram', accountId: 'default', requestId: codes.Eve!, notify: true });
    expect(approved).toEqual({ requestId: codes.Eve, senderId: '500', notification: 'unsupported', commandOwnerBootstrap: 'not-requested' });
    expect(v4Problems('ChannelsPairingApproveResult', approved)).toEqual([]);
    const allowed = JSON.parse(await readFile(join(h.stateDir, 'credentials/telegram-allowFrom.json'), 'utf8'));
    expect(Object.keys(allowed)).toEqual(['500']);

    const dismissed = await h.gateway.call('channels.pairing.dismiss', { channel: 'telegram', accountId: 'default', requestId: codes.Mallory!.toLowerCase() });
    expect(dismissed).toEqual({ requestId: codes.Mallory, senderId: '501' });
    expect(v4Problems('ChannelsPairingDismissResult', dismissed)).toEqual([]);
    expect((await h.gateway.call('channels.pairing.list', {})).requests).toEqual([]);
    expect(Object.keys(JSON.parse(await readFile(join(h.stateDir, 'credentials/telegram-allowFrom.json'), 'utf8')))).toEqual(['500']);
    await expect(h.gateway.call('channels.pairing.approve', { channel: 'telegram', accountId: 'default', requestId: codes.Mallory! })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: `unknown or expired pairing code for telegram: ${codes.Mallory}`,
    });

    // The approved sender now reaches the agent.
    h.model.script({ text: ['welcome'] });
    h.stub.pushMessage({ text: 'now?', fromId: 500 });
    expect(await h.nextInbound()).toMatchObject({ action: 'replied' });
  });
});
