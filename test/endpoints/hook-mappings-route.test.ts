import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HookTransformLoader } from '../../endpoints/hook-transforms.js';
import { resolveHookMappings } from '../../lib/hooks/hook-mappings.js';
import { systemEventsService } from '../../lib/services.js';
import { hooksRouteConfig } from '../../runtime/hooks-route-config.js';
import { AgentGateway, agentGatewayPerTest } from '../helpers/agent-gateway.js';

const HOOK_TOKEN = 'hook-secret-456';
const { start, defer } = agentGatewayPerTest();

function post(h: AgentGateway, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${h.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${HOOK_TOKEN}`, ...headers }, body: JSON.stringify(body) });
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A config dir in a temp dir with `hooks/transforms/` and the given files in it. */
async function configDir(files: Record<string, string>): Promise<{ dir: string; transforms: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-hooks-'));
  defer(() => rm(dir, { recursive: true, force: true }));
  const transforms = join(dir, 'hooks', 'transforms');
  await mkdir(transforms, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(transforms, name), text);
  return { dir, transforms };
}

const lastUserMessage = (h: AgentGateway, i = 0) => h.model.requests[i]!.body.messages.at(-1).content as string;

describe('hooks.mappings', () => {
  it('matches on path and source together, fills templates from body, headers and query, and routes to the agent and session', async () => {
    const h = await start({
      hooks: {
        token: HOOK_TOKEN,
        mappings: resolveHookMappings({
          mappings: [
            { id: 'gh', match: { path: '/github/', source: 'gh' }, messageTemplate: '{{headers.x-github-event}} on {{payload.repo.name}} ({{query.ref}}) by {{sender.login}}: {{labels[1]}} {{missing.key}}', sessionKey: 'hook:gh:{{repo.id}}', name: 'GitHub', thinking: 'low', timeoutSeconds: 30 },
          ],
        }),
      },
    });
    // The path matches but the source does not: no mapping.
    expect((await post(h, '/hooks/github', { source: 'other' })).status).toBe(404);
    h.model.script({ text: ['done'] });
    const res = await post(h, '/hooks/github?ref=main', { source: 'gh', repo: { name: 'clawgate', id: 7 }, sender: { login: 'ann' }, labels: ['a', 'bug'] }, { 'x-github-event': 'push' });
    expect(res.status).toBe(202);
    expect((await res.json()).ok).toBe(true);
    await until(() => h.gateway.service(systemEventsService).list().find((e) => e.startsWith('Hook GitHub:')), 'the summary');
    expect(lastUserMessage(h)).toBe('push on clawgate (main) by ann: bug');
    expect((await h.messages('agent:main:hook:gh:7')).map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('the gmail preset maps a Gmail push; a mapping of the user wins over it', async () => {
    const h = await start({ hooks: { token: HOOK_TOKEN, mappings: resolveHookMappings({ presets: ['gmail'] }) } });
    h.model.script({ text: ['noted'] });
    const res = await post(h, '/hooks/gmail', { messages: [{ id: 'm1', from: 'ann@example.com', subject: 'Hi', snippet: 'Hello there', body: 'Full text' }] });
    expect(res.status).toBe(202);
    await until(() => h.gateway.service(systemEventsService).list().find((e) => e.startsWith('Hook Gmail:')), 'the summary');
    expect(lastUserMessage(h)).toBe('New email from ann@example.com\nSubject: Hi\nHello there\nFull text');
    expect((await h.messages('agent:main:hook:gmail:m1')).length).toBe(2);

    const own = resolveHookMappings({ mappings: [{ match: { path: 'gmail' }, action: 'wake', textTemplate: 'mail from {{messages[0].from}}' }], presets: ['gmail'] });
    expect(own.map((m) => m.action)).toEqual(['wake', 'agent']);
    expect(() => resolveHookMappings({ presets: ['nope'] })).toThrow('hooks.presets[0]: unknown preset "nope"');
    expect(() => resolveHookMappings({ mappings: [{ action: 'run' }] })).toThrow('hooks.mappings[0].action must be "wake" or "agent"');
  });

  it('runs a transform module from the transforms dir: overrides, null skips (204), errors are 500 and logged', async () => {
    const { transforms } = await configDir({
      'github.mjs': [
        'export function handle(ctx) {',
        "  if (ctx.headers['x-github-event'] === 'ping') return null;",
        "  if (ctx.payload.wake) return { action: 'wake', text: `woken by ${ctx.path}` };",
        '  return { message: `PR ${ctx.payload.number} via ${ctx.url.pathname}`, name: "GH", sessionKey: `hook:pr:${ctx.payload.number}` };',
        '}',
      ].join('\n'),
      'broken.js': 'export default async () => { throw new Error("no such field"); };',
      'wrong.js': 'export default () => 42;',
      'plain.cjs': 'module.exports = { transform: () => ({ message: "from cjs" }) };',
    });
    const logged: string[] = [];
    const h = await start({
      hooks: {
        token: HOOK_TOKEN,
        logger: { log: (level, _subsystem, message) => void logged.push(`${level} ${message}`) },
        transforms: new HookTransformLoader(transforms),
        mappings: resolveHookMappings({
          mappings: [
            { match: { path: 'github' }, transform: { module: 'github.mjs', export: 'handle' } },
            { match: { path: 'broken' }, transform: { module: 'broken.js' } },
            { match: { path: 'wrong' }, transform: { module: 'wrong.js' } },
            { match: { path: 'cjs' }, transform: { module: 'plain.cjs' } },
            { match: { path: 'noexport' }, transform: { module: 'github.mjs', export: 'missing' } },
          ],
        }),
      },
    });
    const ping = await post(h, '/hooks/github', {}, { 'x-github-event': 'ping' });
    expect(ping.status).toBe(204);
    expect(await ping.text()).toBe('');
    expect(h.model.requests).toHaveLength(0);

    h.model.script({ text: ['ok'] }, { text: ['ok'] });
    expect((await post(h, '/hooks/github', { number: 12 })).status).toBe(202);
    await until(() => h.gateway.service(systemEventsService).list().find((e) => e.startsWith('Hook GH:')), 'the summary');
    expect(lastUserMessage(h)).toBe('PR 12 via /hooks/github');
    expect((await h.messages('agent:main:hook:pr:12')).length).toBe(2);

    const woken = await post(h, '/hooks/github', { wake: true });
    expect(await woken.json()).toEqual({ ok: true, mode: 'now' });
    expect(h.gateway.service(systemEventsService).list()).toContain('woken by github');

    expect((await post(h, '/hooks/cjs', {})).status).toBe(202);
    await until(() => (h.model.requests.length >= 2 ? true : undefined), 'the cjs run');
    expect(lastUserMessage(h, 1)).toBe('from cjs');

    const broken = await post(h, '/hooks/broken', {});
    expect(broken.status).toBe(500);
    expect(await broken.json()).toEqual({ ok: false, error: 'hook transform broken.js failed: no such field' });
    const wrong = await post(h, '/hooks/wrong', {});
    expect(wrong.status).toBe(500);
    expect((await wrong.json()).error).toBe('hook transform wrong.js returned number; it must return an object or null');
    const noExport = await post(h, '/hooks/noexport', {});
    expect(noExport.status).toBe(500);
    expect((await noExport.json()).error).toContain('has no export "missing" that is a function');
    expect(logged.filter((l) => l.startsWith('error '))).toHaveLength(3);
    expect(logged.some((l) => l.includes('no such field'))).toBe(true);
    // The gateway still answers.
    expect((await post(h, '/hooks/wake', { text: 'still here' })).status).toBe(200);
  });

  it('refuses transform modules outside the transforms dir: absolute, .., and symlinks out of it', async () => {
    const { dir, transforms } = await configDir({ 'ok.js': 'export default () => ({ message: "x" });' });
    await writeFile(join(dir, 'outside.js'), 'export default () => ({ message: "escaped" });');
    await symlink(join(dir, 'outside.js'), join(transforms, 'link.js'));
    const loader = new HookTransformLoader(transforms);
    expect(() => loader.checkModulePath('../outside.js')).toThrow('leaves hooks.transformsDir');
    expect(() => loader.checkModulePath(join(dir, 'outside.js'))).toThrow('must be a path relative to hooks.transformsDir');
    expect(() => loader.checkModulePath('ok.ts')).toThrow('must be JavaScript');

    const configPath = join(dir, 'openclaw.json');
    expect(() => hooksRouteConfig({ token: 't', mappings: [{ transform: { module: '../../outside.js' } }] }, configPath)).toThrow('hooks.mappings[0].transform.module: hook transform module "../../outside.js" leaves hooks.transformsDir');
    expect(() => hooksRouteConfig({ token: 't', transformsDir: '/etc' }, configPath)).toThrow('must be a directory inside the config directory');
    expect(() => hooksRouteConfig({ token: 't', transformsDir: '..' }, configPath)).toThrow('must be a directory inside the config directory');
    const resolved = hooksRouteConfig({ token: 't', presets: ['gmail'] }, configPath);
    expect(resolved.transforms.dir).toBe(transforms);
    expect(resolved.mappings.map((m) => m.id)).toEqual(['gmail']);

    const h = await start({ hooks: { token: HOOK_TOKEN, transforms: loader, mappings: [{ match: { path: 'link' }, transform: { module: 'link.js' } }] } });
    const res = await post(h, '/hooks/link', {});
    expect(res.status).toBe(500);
    expect((await res.json()).error).toMatch(/^hook transform link\.js failed: hook transform module "link\.js" resolves outside hooks\.transformsDir/);
    expect(h.model.requests).toHaveLength(0);
  });
});
