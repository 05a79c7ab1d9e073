import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGatewayRuntime } from '../../runtime/index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-stale-'));
  dirs.push(dir);
  return dir;
}

async function file(path: string, ageMs: number): Promise<string> {
  await writeFile(path, 'x');
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
  return path;
}

describe('gateway runtime start', () => {
  it('the runtime sweeps its state dir at start', async () => {
    const state = await tempDir();
    const leftover = await file(join(state, '.0123456789ab.tmp'), 10 * 60_000);
    const runtime = await createGatewayRuntime({
      config: { gateway: { mode: 'local', auth: { mode: 'token', token: 'stale-temp-token-0123456789' } }, canvasHost: { enabled: false } },
      stateDir: state,
      env: {},
      overrides: { port: '0' },
    });
    await runtime.start();
    try {
      expect(existsSync(leftover)).toBe(false);
    } finally {
      await runtime.stop();
    }
  });
});
