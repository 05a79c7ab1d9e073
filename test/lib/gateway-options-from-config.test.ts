import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../lib/gateway.js';
import { gatewayOptionsFromConfig } from '../../lib/gateway-options-from-config.js';

describe('gatewayOptionsFromConfig', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('passes gateway.nodes.allowCommands / denyCommands to the node command allowlist', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'oc-options-'));
    dirs.push(stateDir);
    const options = gatewayOptionsFromConfig({
      config: { gateway: { nodes: { allowCommands: ['sms.*'], denyCommands: ['camera.snap'] } } },
      auth: { mode: 'token', token: 't' },
      stateDir,
      version: '1',
    });
    const { policy } = new Gateway(options).nodes;
    expect(policy.allows('sms.send')).toBe(true);
    expect(policy.allows('camera.snap')).toBe(false);
    expect(policy.allows('camera.clip')).toBe(true);
    expect(new Gateway(gatewayOptionsFromConfig({ config: {}, auth: { mode: 'token', token: 't' }, stateDir, version: '1' })).nodes.policy.allows('sms.send')).toBe(false);
  });
});
