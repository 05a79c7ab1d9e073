import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferJSON, useMultiFileAuthState } from '@whiskeysockets/baileys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WhatsAppAuthStore } from '../../channels/whatsapp-auth-store.js';
import { WhatsAppChannel } from '../../channels/whatsapp.js';
import { fakeWaNetwork } from './fake-wa-socket.js';
import { recordingLogger, waitForStatus } from './helpers.js';

const ME = '15551234567:7@s.whatsapp.net';

describe('WhatsApp auth state on disk', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-wa-auth-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8'), BufferJSON.reviver);

  it('replaces creds.json atomically (0600, no temp files left) and keeps the version it replaced as creds.json.bak', async () => {
    const store = await WhatsAppAuthStore.open(dir);
    store.state.creds.me = { id: ME, name: 'first' };
    await store.saveCreds();
    expect(existsSync(join(dir, 'creds.json.bak'))).toBe(false);
    store.state.creds.me = { id: ME, name: 'second' };
    await store.saveCreds();
    expect((await read('creds.json')).me.name).toBe('second');
    expect((await read('creds.json.bak')).me.name).toBe('first');
    expect((await stat(join(dir, 'creds.json'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual(['creds.json', 'creds.json.bak']);
    // The keys survive a reload as Baileys wrote them (Buffers included).
    const again = await WhatsAppAuthStore.open(dir);
    expect(again.state.creds.me?.name).toBe('second');
    expect(Buffer.isBuffer(again.state.creds.noiseKey.private)).toBe(true);
  });

  it('a torn creds.json falls back to creds.json.bak: the account stays linked and creds.json is restored', async () => {
    const store = await WhatsAppAuthStore.open(dir);
    store.state.creds.me = { id: ME, name: 'Claw' };
    await store.saveCreds();
    store.state.creds.me = { id: ME, name: 'Claw 2' };
    await store.saveCreds();
    // A crash in the middle of a write in place (what Baileys' own writer does) leaves half a file.
    const whole = await readFile(join(dir, 'creds.json'), 'utf8');
    await writeFile(join(dir, 'creds.json'), whole.slice(0, whole.length / 2));

    const net = fakeWaNetwork();
    const logger = recordingLogger();
    const channel = new WhatsAppChannel({ authDir: dir, socketFactory: net.factory, logger });
    await channel.start(new AbortController().signal);
    try {
      await waitForStatus(channel, (s) => s.connected);
      expect(channel.status()).toMatchObject({ linked: true, self: { e164: '+15551234567' } });
      expect(net.sockets[0]!.config.auth.creds.me).toEqual({ id: ME, name: 'Claw' });
      expect(logger.lines).toContainEqual(expect.stringContaining('creds.json is unreadable; restored the previous version from creds.json.bak'));
      expect((await read('creds.json')).me.name).toBe('Claw');
    } finally {
      await channel.stop();
    }
  });

  it('without a usable backup a torn creds.json means unlinked, said in the log', async () => {
    await writeFile(join(dir, 'creds.json'), '{"noiseKey":{"private":');
    const logger = recordingLogger();
    const store = await WhatsAppAuthStore.open(dir, logger);
    expect(store.state.creds.me).toBeUndefined();
    expect(logger.lines).toContainEqual(expect.stringContaining('link the account again'));
  });

  it("reads a directory Baileys' useMultiFileAuthState wrote, and writes keys in its layout", async () => {
    const baileys = await useMultiFileAuthState(dir);
    baileys.state.creds.me = { id: ME };
    await baileys.saveCreds();
    await baileys.state.keys.set({ 'pre-key': { '7': { public: Buffer.from([1, 2]), private: Buffer.from([3, 4]) } } });

    const store = await WhatsAppAuthStore.open(dir);
    expect(store.state.creds.me?.id).toBe(ME);
    expect(await store.state.keys.get('pre-key', ['7', '8'])).toEqual({ '7': { public: Buffer.from([1, 2]), private: Buffer.from([3, 4]) } });

    await store.state.keys.set({ 'app-state-sync-key': { 'AB/c:d': { keyData: Buffer.from([9]) } }, 'pre-key': { '7': null } });
    expect(existsSync(join(dir, 'pre-key-7.json'))).toBe(false);
    expect(existsSync(join(dir, 'app-state-sync-key-AB__c-d.json'))).toBe(true);
    const back = await (await useMultiFileAuthState(dir)).state.keys.get('app-state-sync-key', ['AB/c:d']);
    expect(Buffer.from(back['AB/c:d']!.keyData!)).toEqual(Buffer.from([9]));
  });

  it('an unreadable key file reads as missing (Baileys negotiates a new one)', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'session-x.json'), '{"type":"Buf');
    const logger = recordingLogger();
    const store = await WhatsAppAuthStore.open(dir, logger);
    expect(await store.state.keys.get('session', ['x'])).toEqual({});
    expect(logger.lines).toContainEqual(expect.stringContaining('ignoring unreadable key file session-x.json'));
  });
});
