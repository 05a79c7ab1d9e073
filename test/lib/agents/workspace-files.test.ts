import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_WORKSPACE_FILE_BYTES, WORKSPACE_FILES } from '../../../lib/agents/workspace-files.js';
import { methodSpecs } from '../../../lib/protocol/index.js';
import { agentGatewayPerTest } from '../../helpers/agent-gateway.js';

const { start } = agentGatewayPerTest();

describe('agents.files.* over WebSocket, confined to the agent workspace', () => {
  let dir: string;
  let workspace: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-workspace-'));
    workspace = join(dir, 'workspace');
    outside = join(dir, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'host secret');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('lists the bootstrap files, writes one atomically and reads it back; other agents get their own workspace', async () => {
    const h = await start({ settings: { agents: [{ id: 'main' }, { id: 'work' }], defaultWorkspace: workspace } });
    const peer = await h.connect();
    const empty = await h.request(peer, 'agents.files.list', { agentId: 'main' });
    expect(empty.payload).toEqual({
      agentId: 'main',
      workspace,
      files: WORKSPACE_FILES.map((name) => ({ name, path: join(workspace, name), missing: true })),
    });

    const set = await h.request(peer, 'agents.files.set', { agentId: 'main', name: 'AGENTS.md', content: '# Rules\nBe brief.\n' });
    expect(set.payload).toMatchObject({ ok: true, agentId: 'main', workspace, file: { name: 'AGENTS.md', missing: false, size: 18, content: '# Rules\nBe brief.\n' } });
    expect(await readFile(join(workspace, 'AGENTS.md'), 'utf8')).toBe('# Rules\nBe brief.\n');
    expect((await stat(join(workspace, 'AGENTS.md'))).mode & 0o777).toBe(0o600);

    const got = await h.request(peer, 'agents.files.get', { agentId: 'main', name: 'AGENTS.md' });
    expect(got.payload.file).toMatchObject({ name: 'AGENTS.md', content: '# Rules\nBe brief.\n', updatedAtMs: expect.any(Number) });
    const listed = await h.request(peer, 'agents.files.list', { agentId: 'main' });
    expect(listed.payload.files.find((f: any) => f.name === 'AGENTS.md')).toMatchObject({ missing: false, size: 18 });
    expect(listed.payload.files[0].content).toBeUndefined();

    const work = await h.request(peer, 'agents.files.list', { agentId: 'work' });
    expect(work.payload.workspace).toBe(`${workspace}-work`);
    expect((await h.request(peer, 'agents.files.list', { agentId: 'nobody' })).error.message).toContain('unknown agent id "nobody"');
  });

  it('serves only the known names, refuses traversal and symlinks leading out, caps the size', async () => {
    const h = await start({ settings: { defaultWorkspace: workspace } });
    const peer = await h.connect();
    for (const name of ['../outside/secret.txt', '/etc/passwd', 'AGENTS.md/../../outside/secret.txt', 'notes.md', 'agents.md']) {
      const refused = await h.request(peer, 'agents.files.get', { agentId: 'main', name });
      expect(refused.error, name).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining('unknown workspace file') });
      expect((await h.request(peer, 'agents.files.set', { agentId: 'main', name, content: 'x' })).ok, name).toBe(false);
    }

    await mkdir(workspace, { recursive: true });
    await symlink(join(outside, 'secret.txt'), join(workspace, 'SOUL.md'));
    const read = await h.request(peer, 'agents.files.get', { agentId: 'main', name: 'SOUL.md' });
    expect(read.error.message).toContain('SOUL.md leads outside the agent workspace');
    const write = await h.request(peer, 'agents.files.set', { agentId: 'main', name: 'SOUL.md', content: 'overwritten' });
    expect(write.ok).toBe(false);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('host secret');
    expect((await h.request(peer, 'agents.files.list', { agentId: 'main' })).ok).toBe(false);

    await symlink(join(outside, 'not-there.txt'), join(workspace, 'USER.md'));
    const dangling = await h.request(peer, 'agents.files.set', { agentId: 'main', name: 'USER.md', content: 'planted' });
    expect(dangling.error.message).toContain('USER.md is a symlink to a missing file');
    expect(existsSync(join(outside, 'not-there.txt'))).toBe(false);

    const big = await h.request(peer, 'agents.files.set', { agentId: 'main', name: 'MEMORY.md', content: 'x'.repeat(MAX_WORKSPACE_FILE_BYTES + 1) });
    expect(big.error.message).toContain(`larger than ${MAX_WORKSPACE_FILE_BYTES} bytes`);
  });

  it('reading needs operator.read, writing operator.admin', () => {
    expect(['agents.files.list', 'agents.files.get', 'agents.files.set'].map((m) => methodSpecs[m as keyof typeof methodSpecs].scope)).toEqual(['read', 'read', 'admin']);
  });
});
