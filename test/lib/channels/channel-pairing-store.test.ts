import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelPairingStore } from '../../../lib/channels/channel-pairing-store.js';
import { FileStorage } from '../../../lib/file-storage.js';

describe('ChannelPairingStore', () => {
  let dir: string;
  let now: number;
  const store = (extra: { maxPending?: number } = {}) => new ChannelPairingStore({ storage: new FileStorage(dir), now: () => now, ...extra });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-pairing-'));
    now = 1_000_000;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('issues one code per sender, approves it, and another store instance (the CLI) sees it all', async () => {
    const gateway = store();
    const first = await gateway.request('telegram', { senderId: '42', senderName: 'Ada', chatId: '42' });
    expect(first).toMatchObject({ created: true, request: { code: expect.stringMatching(/^[A-HJ-NP-Z2-9]{8}$/), senderId: '42', ts: now } });
    const again = await gateway.request('telegram', { senderId: '42' });
    expect(again).toEqual({ request: first!.request, created: false });
    expect(await gateway.isAllowed('telegram', ['42'])).toBe(false);

    const cli = store();
    expect((await cli.list('telegram')).pending).toEqual([first!.request]);
    const approved = await cli.approve('telegram', ` ${first!.request.code.toLowerCase()} `);
    expect(approved.entry).toEqual({ senderId: '42', senderName: 'Ada', code: first!.request.code, approvedAtMs: now });

    expect(await gateway.isAllowed('telegram', ['nope', '42'])).toBe(true);
    expect(await gateway.isAllowed('whatsapp', ['42'])).toBe(false);
    expect(await gateway.list('telegram')).toMatchObject({ pending: [], allowed: [{ senderId: '42' }] });
    const file = join(dir, 'credentials/telegram-allowFrom.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('42');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(cli.approve('telegram', first!.request.code)).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('unknown or expired pairing code') });
  });

  it('codes expire after an hour and a channel holds a bounded number of open codes', async () => {
    const s = store({ maxPending: 2 });
    const a = await s.request('whatsapp', { senderId: 'a' });
    await s.request('whatsapp', { senderId: 'b' });
    expect(await s.request('whatsapp', { senderId: 'c' })).toBeUndefined();
    now += 60 * 60_000 + 1;
    await expect(s.approve('whatsapp', a!.request.code)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const fresh = await s.request('whatsapp', { senderId: 'a' });
    expect(fresh).toMatchObject({ created: true });
    expect(fresh!.request.code).not.toBe(a!.request.code);
  });

  it('refuses channel ids that would escape the credentials dir', async () => {
    await expect(store().list('../etc')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
