import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGatewayRuntime } from '../../runtime/index.js';
import { agedFiles } from '../helpers/aged-files.js';

const { tempDir, file } = agedFiles();

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
