import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../lib/gateway.js';
import { gatewayOptionsFromConfig } from '../../lib/gateway-options-from-config.js';
import { nodesService } from '../../lib/services.js';

describe('gatewayOptionsFromConfig', () => {
  const dirs: string[] = [];
  const gateways: Gateway[] = [];
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.close();
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
    // The node registry is the nodes plugin's, set up at start.
    const started = async (opts: typeof options) => {
      const gateway = new Gateway(opts);
      gateways.push(gateway);
      await gateway.start();
      return gateway.service(nodesService);
    };
    const { policy } = await started(options);
    expect(policy.allows('sms.send')).toBe(true);
    expect(policy.allows('camera.snap')).toBe(false);
    expect(policy.allows('camera.clip')).toBe(true);
    const defaults = await started(gatewayOptionsFromConfig({ config: {}, auth: { mode: 'token', token: 't' }, stateDir, version: '1' }));
    expect(defaults.policy.allows('sms.send')).toBe(false);
  });
});
