import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { canonicalSessionKey, channelSessionKey, checkSessionId, isStatelessSessionKey, normalizeAgentId, sessionKind, statelessSessionKey } from '../../../lib/sessions/session-keys.js';

describe('session keys', () => {
  it('canonicalises keys the way upstream stores them', () => {
    expect(canonicalSessionKey('main', 'work')).toBe('agent:work:main');
    expect(canonicalSessionKey('MAIN', 'main')).toBe('agent:main:main');
    expect(canonicalSessionKey('agent:Ops:main', 'main')).toBe('agent:ops:main');
    expect(canonicalSessionKey('hook:123', 'main')).toBe('agent:main:hook:123');
    expect(canonicalSessionKey('global', 'main')).toBe('global');
    expect(() => canonicalSessionKey('  ', 'main')).toThrow(GatewayError);
    expect(() => canonicalSessionKey('agent:../x:main', 'main')).toThrow('invalid agent id');
  });

  it('derives channel keys per dmScope and classifies kinds', () => {
    expect(channelSessionKey({ agentId: 'main', channel: 'whatsapp', to: '+1555' })).toBe('agent:main:main');
    expect(channelSessionKey({ agentId: 'main', channel: 'whatsapp', to: '+1555', dmScope: 'per-peer' })).toBe('agent:main:dm:+1555');
    expect(channelSessionKey({ agentId: 'main', channel: 'Telegram', to: '42', dmScope: 'per-channel-peer' })).toBe('agent:main:telegram:dm:42');
    expect(channelSessionKey({ agentId: 'main', channel: 'telegram', groupId: '-100' })).toBe('agent:main:telegram:group:-100');
    expect(sessionKind('agent:main:telegram:group:-100')).toBe('group');
    expect(sessionKind('agent:main:main')).toBe('direct');
    expect(sessionKind('global')).toBe('global');
  });

  it('accepts only path-safe agent and session ids', () => {
    expect(normalizeAgentId(' Work ')).toBe('work');
    expect(() => normalizeAgentId('a/b')).toThrow('invalid agent id "a/b"');
    expect(checkSessionId('abc-1.2_3')).toBe('abc-1.2_3');
    expect(() => checkSessionId('../etc')).toThrow('invalid sessionId');
  });

  it('tells the keys of stateless runs from keys a caller chose', () => {
    const openai = statelessSessionKey('openai', 'main');
    expect(openai).toMatch(/^agent:main:openai:[0-9a-f-]{36}$/);
    expect(isStatelessSessionKey(openai)).toBe(true);
    expect(isStatelessSessionKey(statelessSessionKey('openresponses', 'work'))).toBe(true);
    const hook = statelessSessionKey('hook', undefined, '3b241101-e2bb-4255-8caf-4136c566a962');
    expect(hook).toBe('hook:3b241101-e2bb-4255-8caf-4136c566a962');
    expect(isStatelessSessionKey(hook)).toBe(true);
    expect(isStatelessSessionKey(canonicalSessionKey(hook, 'main'))).toBe(true);
    for (const key of ['agent:main:main', 'agent:main:openai-user:bob', 'agent:main:hook:github', 'agent:main:openai:bob', 'agent:main:custom', 'global']) {
      expect(isStatelessSessionKey(key)).toBe(false);
    }
  });
});
