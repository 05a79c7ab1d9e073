import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { wizardRuntimePlugin } from '../../runtime/wizard-runtime-plugin.js';
import { startRuntime, type RuntimeHarness } from '../helpers/skills-runtime.js';
import { v4Problems } from '../helpers/v4-conformance.js';
import { seedReference } from '../helpers/seed-reference.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const seed = seedReference<{ definitions: Record<string, unknown> }>('protocol.schema.json');
const seedAjv = new Ajv({ strict: false, allErrors: true });
if (seed) seedAjv.addSchema(seed, 'seed');
/** Problems of a result against the seed-era and the v4 definition of the same name. */
function problems(definition: string, value: unknown): string[] {
  // Where the seed reference is not on this machine, only the v4 definition judges.
  const check = seed ? seedAjv.getSchema(`seed#/definitions/${definition}`)! : undefined;
  const seedProblems = !check || check(value) ? [] : (check.errors ?? []).map((e) => `seed ${definition}${e.instancePath} ${e.message}`);
  return [...seedProblems, ...v4Problems(definition, value)];
}

async function start(): Promise<RuntimeHarness> {
  const h = await startRuntime({}, [wizardRuntimePlugin()]);
  cleanups.push(() => h.close());
  return h;
}

describe('wizard over WebSocket', () => {
  it('walks the onboarding steps and writes the answers into the config file', async () => {
    const h = await start();
    const client = await h.client();
    const workspace = join(h.home, 'my-workspace');
    const started = await client.call('wizard.start', { mode: 'local', workspace });
    expect(problems('WizardStartResult', started)).toEqual([]);
    expect(started).toMatchObject({ done: false, status: 'running', step: { id: 'intro', type: 'note' } });
    const sessionId = started.sessionId;
    expect(await client.call('wizard.status', { sessionId })).toEqual({ status: 'running' });

    const answer = async (stepId: string, value?: unknown) => {
      const res = await client.call('wizard.next', { sessionId, answer: { stepId, ...(value === undefined ? {} : { value }) } });
      expect(problems('WizardNextResult', res)).toEqual([]);
      return res;
    };
    let res = await answer('intro');
    // The config has a token already (the harness's), so keeping it is offered first.
    expect(res.step).toMatchObject({ id: 'auth.mode', type: 'select', initialValue: 'keep' });
    expect(res.step?.options?.map((o) => o.value)).toEqual(['keep', 'token', 'password']);
    await expect(answer('auth.mode', 'magic')).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid answer for wizard step auth.mode: expected one of keep, token, password' });
    await expect(answer('model.provider', 'skip')).rejects.toMatchObject({ message: 'wizard is at step auth.mode, not model.provider' });
    res = await answer('auth.mode', 'password');
    expect(res.step).toMatchObject({ id: 'auth.password', type: 'text', sensitive: true });
    res = await answer('auth.password', 'correct horse battery');
    expect(res.step?.id).toBe('model.provider');
    res = await answer('model.provider', 'openai-compatible');
    expect(res.step).toMatchObject({ id: 'model.baseUrl', initialValue: 'https://api.openai.com/v1' });
    res = await answer('model.baseUrl', 'http://127.0.0.1:1234/v1');
    res = await answer('model.apiKey', 'sk-wizard');
    res = await answer('model.id', 'qwen2');
    expect(res.step).toMatchObject({ id: 'channels', type: 'multiselect' });
    res = await answer('channels', ['telegram']);
    expect(res.step?.id).toBe('channels.telegram.botToken');
    res = await answer('channels.telegram.botToken', '42:xyz');
    expect(res.step).toMatchObject({ id: 'workspace', initialValue: workspace });
    res = await answer('workspace');
    expect(res.step).toMatchObject({ id: 'service', type: 'note' });
    res = await answer('service');
    expect(res).toEqual({ done: true, status: 'done' });
    expect(await client.call('wizard.status', { sessionId })).toEqual({ status: 'done' });

    const written = JSON.parse(await readFile(h.configPath, 'utf8'));
    expect(written.gateway.auth).toEqual({ mode: 'password', password: 'correct horse battery' });
    expect(written.models.providers.openai).toEqual({ baseUrl: 'http://127.0.0.1:1234/v1', apiKey: 'sk-wizard', api: 'openai-completions', models: [{ id: 'qwen2', name: 'qwen2' }] });
    expect(written.agents.defaults).toEqual({ workspace, model: { primary: 'openai/qwen2' } });
    expect(written.channels.telegram).toEqual({ enabled: true, botToken: '42:xyz' });
    expect(written.wizard).toMatchObject({ lastRunCommand: 'wizard.start', lastRunMode: 'local' });
    expect((await stat(workspace)).isDirectory()).toBe(true);
    // The previous file was kept as a backup.
    expect((await readdir(h.home)).some((name) => name.startsWith('openclaw.json.bak'))).toBe(true);
  });

  it('shows a token it generates, so the client can still connect once the new settings are in force', async () => {
    const h = await start();
    const client = await h.client();
    const { sessionId } = await client.call('wizard.start', {});
    const answer = (stepId: string, value?: unknown) => client.call('wizard.next', { sessionId, answer: { stepId, ...(value === undefined ? {} : { value }) } });
    await answer('intro');
    await answer('auth.mode', 'token');
    const shown = await answer('auth.token', '');
    expect(shown.step).toMatchObject({ id: 'auth.generated', type: 'note' });
    const token = /gateway token is ([0-9a-f]+)/.exec(String(shown.step?.message))?.[1];
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    expect((await answer('auth.generated')).step?.id).toBe('model.provider');
    await client.call('wizard.cancel', { sessionId });
  });

  it('allows one run at a time; cancel ends it and unknown sessions are refused', async () => {
    const h = await start();
    const client = await h.client();
    const { sessionId } = await client.call('wizard.start', {});
    await expect(client.call('wizard.start', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'wizard already running' });
    const cancelled = await client.call('wizard.cancel', { sessionId });
    expect(cancelled).toEqual({ status: 'cancelled' });
    expect(problems('WizardStatusResult', cancelled)).toEqual([]);
    expect(await client.call('wizard.next', { sessionId })).toEqual({ done: true, status: 'cancelled' });
    await expect(client.call('wizard.status', { sessionId: 'nope' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'wizard not found: nope' });
    await expect(client.call('wizard.status', {} as never)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const again = await client.call('wizard.start', {});
    expect(again.sessionId).not.toBe(sessionId);
  });
});
