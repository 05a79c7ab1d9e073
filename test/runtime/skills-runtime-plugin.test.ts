import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../lib/errors.js';
import { skillsRuntimePlugin } from '../../runtime/skills-runtime-plugin.js';
import { startNode } from '../helpers/nodes.js';
import { startRuntime, type RuntimeHarness } from '../helpers/skills-runtime.js';
import { v4Problems } from '../helpers/v4-conformance.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function skill(dir: string, folder: string, frontMatter: string, body = 'Use it.\n'): Promise<void> {
  await mkdir(join(dir, folder), { recursive: true });
  await writeFile(join(dir, folder, 'SKILL.md'), `---\n${frontMatter}\n---\n${body}`);
}

/** A stand-in `brew` on disk: `brew install <formula>` drops an executable `<formula>` next to itself. */
async function fakeBrew(binDir: string): Promise<void> {
  const script = `#!/bin/sh\nif [ "$1" != install ]; then echo "usage: brew install <formula>" >&2; exit 2; fi\nif [ "$2" = broken ]; then echo "Error: no formula named broken" >&2; exit 1; fi\nprintf '#!/bin/sh\\necho %s\\n' "$2" > "${binDir}/$2"\n/bin/chmod +x "${binDir}/$2"\necho "installed $2"\n`;
  await writeFile(join(binDir, 'brew'), script);
  await chmod(join(binDir, 'brew'), 0o755);
}

async function start(config: Record<string, any>, binDir: string, env: Record<string, string> = {}): Promise<RuntimeHarness> {
  const h = await startRuntime(config, [skillsRuntimePlugin()], { PATH: `${binDir}:/usr/bin:/bin`, ...env });
  cleanups.push(() => h.close());
  return h;
}

describe('skills over WebSocket', () => {
  it('skills.status reads workspace, managed and extra folders with requirements checked against PATH, env and config', async () => {
    const workspace = await tempDir('ws-');
    const extra = await tempDir('extra-');
    const binDir = await tempDir('bin-');
    await writeFile(join(binDir, 'present-tool'), '#!/bin/sh\n');
    await chmod(join(binDir, 'present-tool'), 0o755);
    await skill(
      join(workspace, 'skills'),
      'weather',
      [
        'name: weather',
        'description: Forecasts via wttr',
        'homepage: https://wttr.in',
        'metadata: {"openclaw":{"emoji":"☔","primaryEnv":"WTTR_KEY","requires":{"bins":["present-tool","missing-tool"],"env":["WTTR_KEY","HOME"],"config":["channels.telegram"]},"install":[{"id":"brew","kind":"brew","formula":"missing-tool","bins":["missing-tool"],"label":"Install missing-tool (brew)"}]}}',
      ].join('\n'),
    );
    // The same name in extraDirs loses to the workspace copy.
    await skill(extra, 'weather', 'name: weather\ndescription: shadowed');
    await skill(extra, 'notes', 'name: notes\ndescription: Notes\nmetadata:\n  openclaw:\n    os: [plan9]\n    requires:\n      anyBins: [present-tool, other]');
    const h = await start({ agents: { defaults: { workspace } }, skills: { load: { extraDirs: [extra] }, entries: { weather: { apiKey: 'k-123' } } } }, binDir);
    await skill(join(h.home, 'skills'), 'managed-one', 'name: managed-one\ndescription: From the managed folder\nmetadata:\n  openclaw:\n    always: true\n    requires:\n      env: [NOPE_VAR]');
    const client = await h.client();

    const status = await client.call('skills.status', {});
    expect(status.workspaceDir).toBe(workspace);
    expect(status.managedSkillsDir).toBe(join(h.home, 'skills'));
    expect(status.skills.map((s) => [s.name, s.source])).toEqual([
      ['managed-one', 'openclaw-managed'],
      ['notes', 'openclaw-extra'],
      ['weather', 'openclaw-workspace'],
    ]);
    const [managed, notes, weather] = status.skills;
    expect(weather).toMatchObject({
      description: 'Forecasts via wttr',
      filePath: join(workspace, 'skills', 'weather', 'SKILL.md'),
      baseDir: join(workspace, 'skills', 'weather'),
      skillKey: 'weather',
      emoji: '☔',
      homepage: 'https://wttr.in',
      primaryEnv: 'WTTR_KEY',
      eligible: false,
      disabled: false,
      requirements: { bins: ['present-tool', 'missing-tool'], anyBins: [], env: ['WTTR_KEY', 'HOME'], config: ['channels.telegram'], os: [] },
      // WTTR_KEY is met by skills.entries.weather.apiKey (it is the primaryEnv), HOME by the env.
      missing: { bins: ['missing-tool'], anyBins: [], env: [], config: ['channels.telegram'], os: [] },
      configChecks: [{ path: 'channels.telegram', satisfied: false }],
      install: [{ id: 'brew', kind: 'brew', label: 'Install missing-tool (brew)', bins: ['missing-tool'] }],
    });
    expect(notes!.missing).toEqual({ bins: [], anyBins: [], env: [], config: [], os: ['plan9'] });
    expect(managed).toMatchObject({ always: true, eligible: true, missing: { env: ['NOPE_VAR'] } });

    // The node host asks for every executable the skills name.
    const node = await startNode(h.url);
    cleanups.push(() => node.client.close());
    const bins = await node.client.call('skills.bins', {});
    expect(bins).toEqual({ bins: ['missing-tool', 'other', 'present-tool'] });
    expect(v4Problems('SkillsBinsResult', bins)).toEqual([]);
    await expect(client.call('skills.bins', {})).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'unauthorized role: operator' });
  });

  it('skills.install runs the declared brew installer through the real runner and the skill becomes eligible', async () => {
    const workspace = await tempDir('ws-');
    const binDir = await tempDir('bin-');
    await fakeBrew(binDir);
    await skill(
      join(workspace, 'skills'),
      'gifgrep',
      'name: gifgrep\ndescription: Search GIFs\nmetadata: {"openclaw":{"requires":{"bins":["gifgrep"]},"install":[{"id":"brew","kind":"brew","formula":"gifgrep","bins":["gifgrep"]},{"id":"bad","kind":"brew","formula":"broken","bins":["broken"]}]}}',
    );
    const h = await start({ agents: { defaults: { workspace } } }, binDir);
    const client = await h.client();
    expect((await client.call('skills.status', {})).skills[0]).toMatchObject({ eligible: false, missing: { bins: ['gifgrep'] } });

    const result = await client.call('skills.install', { name: 'gifgrep', installId: 'brew', timeoutMs: 10_000 });
    expect(result).toMatchObject({ ok: true, code: 0, stdout: 'installed gifgrep\n' });
    expect(result.message).toContain('brew install gifgrep');
    expect((await client.call('skills.status', {})).skills[0]).toMatchObject({ eligible: true, missing: { bins: [] } });

    const failed = await client.call('skills.install', { name: 'gifgrep', installId: 'bad' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(GatewayError);
    expect((failed as GatewayError).code).toBe('UNAVAILABLE');
    expect((failed as GatewayError).message).toContain('exit code 1');
    await expect(client.call('skills.install', { name: 'gifgrep', installId: 'nope' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.call('skills.install', { name: 'nope', installId: 'brew' })).rejects.toMatchObject({ message: 'unknown skill: nope' });
  });

  it('a download installer fetches from a local server and unpacks with tar', async () => {
    const workspace = await tempDir('ws-');
    const binDir = await tempDir('bin-');
    const src = await tempDir('src-');
    await mkdir(join(src, 'pkg', 'models'), { recursive: true });
    await writeFile(join(src, 'pkg', 'models', 'voice.onnx'), 'weights');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-czf', join(src, 'voice.tar.gz'), '-C', src, 'pkg']);
    const archive = await readFile(join(src, 'voice.tar.gz'));
    const server: Server = createServer((req, res) => {
      if (req.url === '/voice.tar.gz') res.end(archive);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as { port: number }).port;
    await skill(
      join(workspace, 'skills'),
      'piper',
      `name: piper\ndescription: TTS\nmetadata: {"openclaw":{"install":[{"id":"model","kind":"download","url":"http://127.0.0.1:${port}/voice.tar.gz","stripComponents":1,"label":"Download voice"}]}}`,
    );
    const h = await start({ agents: { defaults: { workspace } } }, binDir);
    const client = await h.client();
    const result = await client.call('skills.install', { name: 'piper', installId: 'model' });
    expect(result.ok).toBe(true);
    expect(await readFile(join(h.home, 'tools', 'piper', 'models', 'voice.onnx'), 'utf8')).toBe('weights');
  });

  it('skills.update edits skills.entries in the config file atomically and status follows', async () => {
    const workspace = await tempDir('ws-');
    const binDir = await tempDir('bin-');
    await skill(join(workspace, 'skills'), 'notion', 'name: notion\ndescription: Notion\nmetadata: {"openclaw":{"primaryEnv":"NOTION_API_KEY","requires":{"env":["NOTION_API_KEY","NOTION_WS"]}}}');
    const h = await start({ agents: { defaults: { workspace } } }, binDir);
    const client = await h.client();
    expect((await client.call('skills.status', {})).skills[0]!.missing.env).toEqual(['NOTION_API_KEY', 'NOTION_WS']);

    const updated = await client.call('skills.update', { skillKey: 'notion', apiKey: 'secret-key', env: { NOTION_WS: 'team' } });
    expect(updated).toEqual({ ok: true, skillKey: 'notion', config: { apiKey: '__OPENCLAW_REDACTED__', env: { NOTION_WS: '__OPENCLAW_REDACTED__' } } });
    const onDisk = JSON.parse(await readFile(h.configPath, 'utf8'));
    expect(onDisk.skills.entries.notion).toEqual({ apiKey: 'secret-key', env: { NOTION_WS: 'team' } });
    expect(onDisk.gateway.auth.token).toBeDefined();
    expect((await client.call('skills.status', {})).skills[0]).toMatchObject({ eligible: true, missing: { env: [] } });

    await client.call('skills.update', { skillKey: 'notion', enabled: false, apiKey: '__OPENCLAW_REDACTED__', env: { NOTION_WS: '' } });
    expect(JSON.parse(await readFile(h.configPath, 'utf8')).skills.entries.notion).toEqual({ apiKey: 'secret-key', enabled: false });
    expect((await client.call('skills.status', {})).skills[0]).toMatchObject({ disabled: true, eligible: false });
  });
});
