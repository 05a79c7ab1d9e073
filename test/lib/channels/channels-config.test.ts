import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';

describe('channels.* config schema', () => {
  it('accepts the documented WhatsApp and Telegram settings, per account too', async () => {
    const result = await validateConfig({
      channels: {
        whatsapp: {
          dmPolicy: 'pairing',
          allowFrom: ['+15551234567'],
          groupPolicy: 'allowlist',
          groups: { '120363000000000000@g.us': { requireMention: false }, '*': { allowFrom: ['+15550000000'] } },
          mentionPatterns: ['\\bclaw\\b'],
          textChunkLimit: 4000,
          accounts: { work: { authDir: '/var/lib/openclaw/wa-work', allowFrom: ['*'] } },
        },
        telegram: {
          enabled: true,
          botToken: '123:abc',
          apiRoot: 'http://127.0.0.1:8081',
          dmPolicy: 'open',
          allowFrom: [12345, '@ada'],
          replyToMode: 'all',
          webhookUrl: 'https://bot.example.com/tg',
          webhookSecret: 's3cret',
          webhookPath: '/tg',
          accounts: { alerts: { tokenFile: '/run/secrets/tg-alerts', dmPolicy: 'allowlist' } },
        },
      },
    });
    expect(result).toMatchObject({ ok: true });
  });

  it('rejects typos, bad policies, bad limits and unsafe account ids, naming the key', async () => {
    const bad = async (channels: unknown) => {
      const result = await validateConfig({ channels });
      if (result.ok) throw new Error('expected invalid');
      return result.issues;
    };
    expect(await bad({ telegram: { botTokn: 'x' } })).toEqual([{ path: 'channels.telegram.botTokn', message: 'unknown key' }]);
    expect((await bad({ whatsapp: { dmPolicy: 'everyone' } }))[0]).toMatchObject({ path: 'channels.whatsapp.dmPolicy', message: expect.stringContaining('"pairing"') });
    expect((await bad({ telegram: { textChunkLimit: 5000 } }))[0]!.path).toBe('channels.telegram.textChunkLimit');
    expect((await bad({ whatsapp: { accounts: { '../etc': {} } } })).length).toBeGreaterThan(0);
    // Upstream has dozens of channels: one this gateway does not run is accepted, not an error.
    expect((await validateConfig({ channels: { signal: {} } })).ok).toBe(true);
  });
});
