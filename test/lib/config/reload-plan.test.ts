import { describe, expect, it } from 'vitest';
import { applyMergePatch } from '../../../lib/config/merge-patch.js';
import { buildReloadPlan, diffConfigPaths, matchReloadRule } from '../../../lib/config/reload-plan.js';

describe('diffConfigPaths', () => {
  it('reports changed, added and removed leaves by dotted path', () => {
    const before = { gateway: { port: 1, auth: { token: 'a' } }, logging: { level: 'info' }, agents: { list: [{ id: 'a' }] } };
    const after = { gateway: { port: 2, auth: { token: 'a' } }, logging: {}, agents: { list: [{ id: 'a' }, { id: 'b' }] }, channels: { telegram: { enabled: true } } };
    expect(diffConfigPaths(before, after).sort()).toEqual(['agents.list', 'channels.telegram.enabled', 'gateway.port', 'logging.level']);
  });

  it('equal configs (arrays included) have no changes; type changes are reported at the key', () => {
    expect(diffConfigPaths({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([]);
    expect(diffConfigPaths({ a: { b: 1 } }, { a: 'x' })).toEqual(['a']);
    expect(diffConfigPaths(undefined, {})).toEqual([]);
  });
});

describe('reload rules (protocol §9.3, first match wins)', () => {
  it.each([
    ['gateway.remote.url', 'none'],
    ['gateway.reload.debounceMs', 'none'],
    ['gateway.port', 'restart'],
    ['gateway.auth.token', 'restart'],
    ['canvasHost.port', 'restart'],
    ['plugins.x', 'restart'],
    ['discovery', 'restart'],
    ['somethingNew', 'restart'],
    ['hooks.gmail.account', 'hot'],
    ['hooks.enabled', 'hot'],
    ['agents.defaults.heartbeat.every', 'hot'],
    ['agents.defaults.model', 'none'],
    ['agents.list', 'none'],
    ['models.providers', 'none'],
    ['logging.level', 'none'],
    ['cron.jobs', 'hot'],
    ['browser.enabled', 'hot'],
    ['channels.telegram.botToken', 'hot'],
    ['commands.restart', 'none'],
  ])('%s → %s', (path, kind) => {
    expect(matchReloadRule(path)?.kind ?? 'restart').toBe(kind);
  });

  it('prefixes match whole segments only', () => {
    expect(matchReloadRule('gatewayish')).toBeUndefined();
    expect(matchReloadRule('hooksExtra')).toBeUndefined();
  });

  it('plans hot actions once each and restarts for any critical path', () => {
    const plan = buildReloadPlan(['channels.telegram.enabled', 'channels.telegram.botToken', 'channels.whatsapp.x', 'hooks.gmail.a', 'logging.level']);
    expect(plan).toEqual({
      changedPaths: ['channels.telegram.enabled', 'channels.telegram.botToken', 'channels.whatsapp.x', 'hooks.gmail.a', 'logging.level'],
      restartGateway: false,
      restartReasons: [],
      hotReasons: ['channels.telegram.enabled', 'channels.telegram.botToken', 'channels.whatsapp.x', 'hooks.gmail.a'],
      noopPaths: ['logging.level'],
      actions: ['restart-channel:telegram', 'restart-channel:whatsapp', 'restart-gmail-watcher'],
    });
    const critical = buildReloadPlan(['logging.level', 'gateway.bind']);
    expect(critical.restartGateway).toBe(true);
    expect(critical.restartReasons).toEqual(['gateway.bind']);
  });
});

describe('applyMergePatch (RFC 7396)', () => {
  it('merges objects, deletes on null, replaces arrays and scalars, and leaves inputs alone', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 'x' };
    const patch = { a: { b: null, c: [3], e: { f: 1 } }, d: null, g: 2 };
    expect(applyMergePatch(target, patch)).toEqual({ a: { c: [3], e: { f: 1 } }, g: 2 });
    expect(target).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x' });
    expect(applyMergePatch({ a: 1 }, [1])).toEqual([1]);
    expect(applyMergePatch('scalar', { a: { b: null } })).toEqual({ a: {} });
  });
});
