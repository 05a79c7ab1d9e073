import { describe, expect, it } from 'vitest';
import { accountPolicy, normalizeSenderId, resolveChannelAccounts, senderAllowed } from '../../../lib/channels/channel-accounts.js';

describe('channel accounts', () => {
  it('a section without accounts is the default account; accounts inherit top-level settings', () => {
    expect(resolveChannelAccounts(undefined)).toEqual([]);
    expect(resolveChannelAccounts({ botToken: 't' }).map((a) => a.accountId)).toEqual(['default']);
    const [work, home] = resolveChannelAccounts({ dmPolicy: 'open', accounts: { work: { botToken: 'w' }, home: { botToken: 'h', enabled: false } } });
    expect(work).toMatchObject({ accountId: 'work', enabled: true, config: { dmPolicy: 'open', botToken: 'w' } });
    expect(home).toMatchObject({ accountId: 'home', enabled: false });
    expect(resolveChannelAccounts({ enabled: false })[0]!.enabled).toBe(false);
    expect(() => resolveChannelAccounts({ accounts: { '../x': {} } })).toThrow(/invalid account id/);
  });

  it('policy-only changes keep the fingerprint; connection settings change it', () => {
    const base = resolveChannelAccounts({ botToken: 'a', dmPolicy: 'pairing' })[0]!;
    expect(resolveChannelAccounts({ botToken: 'a', dmPolicy: 'open', allowFrom: ['x'], groups: { '*': {} } })[0]!.fingerprint).toBe(base.fingerprint);
    expect(resolveChannelAccounts({ botToken: 'b' })[0]!.fingerprint).not.toBe(base.fingerprint);
  });

  it('normalises sender ids and allow lists', () => {
    expect(normalizeSenderId('@Alice')).toBe('alice');
    expect(normalizeSenderId('telegram:alice')).toBe('alice');
    expect(normalizeSenderId('+1 (555) 123-4567')).toBe('15551234567');
    expect(normalizeSenderId('15551234567@s.whatsapp.net')).toBe('15551234567@s.whatsapp.net');
    const policy = accountPolicy({ allowFrom: ['+1 555 123 4567', '@Bob', 99], mentionPatterns: ['\\bclaw\\b', '('] });
    expect(policy).toMatchObject({ dmPolicy: 'pairing', groupPolicy: 'open', allowFrom: ['15551234567', 'bob', '99'] });
    expect(policy.mentionPatterns).toHaveLength(1);
    expect(senderAllowed(policy.allowFrom, ['x@s.whatsapp.net', '+15551234567'])).toBe(true);
    expect(senderAllowed(policy.allowFrom, ['123', '@bob'])).toBe(true);
    expect(senderAllowed(policy.allowFrom, ['100'])).toBe(false);
    expect(senderAllowed(['*'], ['anyone'])).toBe(true);
  });
});
