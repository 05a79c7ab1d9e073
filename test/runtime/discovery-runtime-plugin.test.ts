import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BonjourFactory } from '../../runtime/bonjour-advertiser.js';
import { browseGateways } from '../../runtime/browse-gateways.js';
import { discoveryRuntimePlugin } from '../../runtime/discovery-runtime-plugin.js';
import { gatewayAdvertisement } from '../../runtime/gateway-advertisement.js';
import { loopbackMdns } from '../helpers/loopback-mdns.js';
import { startRuntime, type RuntimeHarness } from '../helpers/skills-runtime.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function runtimeWith(config: Record<string, unknown>, createBonjour: BonjourFactory, env: Record<string, string> = {}): Promise<RuntimeHarness> {
  // The test run turns advertising off process-wide (vitest.config.ts); these gateways turn it back on.
  const harness = await startRuntime(config, [discoveryRuntimePlugin({ createBonjour, hostname: 'studio.example.com' })], { OPENCLAW_DISABLE_BONJOUR: '0', ...env });
  cleanups.push(() => harness.close());
  return harness;
}

/** mDNS/DNS-SD advertising (`_openclaw-gw._tcp`), advertised and browsed with bonjour-service over 127.0.0.1. */
describe('discovery runtime plugin', () => {
  it('advertises the gateway and a browser finds it with its TXT record (minimal mode)', async () => {
    const mdns = await loopbackMdns();
    const { runtime } = await runtimeWith({}, mdns.advertiser);
    const found = await browseGateways({ timeoutMs: 2500, createBonjour: mdns.browser });
    expect(found).toEqual([
      {
        name: `studio (OpenClaw ${runtime.port})`,
        host: 'studio.local',
        port: runtime.port,
        addresses: expect.any(Array),
        txt: { role: 'gateway', transport: 'gateway', gatewayPort: String(runtime.port) },
      },
    ]);
  });

  it('full mode adds sshPort (and cliPath when the CLI is built)', async () => {
    const mdns = await loopbackMdns();
    const { runtime } = await runtimeWith({ discovery: { mdns: { mode: 'full' } } }, mdns.advertiser);
    const [gateway] = await browseGateways({ timeoutMs: 2500, createBonjour: mdns.browser });
    expect(gateway?.txt).toMatchObject({ role: 'gateway', transport: 'gateway', gatewayPort: String(runtime.port), sshPort: '22' });
    if (gateway?.txt.cliPath !== undefined) expect(gateway.txt.cliPath).toMatch(/[/\\]dist[/\\]bin[/\\]openclaw\.js$/);
  });

  it('withdraws the advertisement (goodbye packets) when the gateway stops', async () => {
    const mdns = await loopbackMdns();
    const harness = await startRuntime({}, [discoveryRuntimePlugin({ createBonjour: mdns.advertiser, hostname: 'studio' })], { OPENCLAW_DISABLE_BONJOUR: '0' });
    cleanups.push(() => harness.close());
    const bonjour = await mdns.browser(() => undefined);
    cleanups.push(() => new Promise<void>((resolve) => bonjour.destroy(() => resolve())));
    const browser = bonjour.find({ type: 'openclaw-gw' });
    const up = vi.fn();
    const down = vi.fn();
    browser.on('up', up);
    browser.on('down', down);
    await vi.waitFor(() => expect(up).toHaveBeenCalledTimes(1), { timeout: 5000 });
    await harness.runtime.stop();
    await vi.waitFor(() => expect(down).toHaveBeenCalledTimes(1), { timeout: 5000 });
    expect(down.mock.calls[0]![0]).toMatchObject({ name: `studio (OpenClaw ${harness.runtime.port})` });
    browser.stop();
  });

  it('advertises nothing with discovery.mdns.mode "off" or OPENCLAW_DISABLE_BONJOUR=1', async () => {
    const created = vi.fn<BonjourFactory>(() => {
      throw new Error('must not be created');
    });
    await runtimeWith({ discovery: { mdns: { mode: 'off' } } }, created);
    await runtimeWith({}, created, { OPENCLAW_DISABLE_BONJOUR: '1' });
    expect(created).not.toHaveBeenCalled();
  });

  it('a responder that cannot start is logged and the gateway runs on', async () => {
    const harness = await runtimeWith({}, () => {
      throw new Error('no multicast here');
    });
    const client = await harness.client();
    await expect(client.call('health', {})).resolves.toMatchObject({ ok: true });
    expect(await readFile(`${harness.home}/gateway.log`, 'utf8')).toContain('mDNS advertising not started: no multicast here');
  });

  it('loads bonjour-service only when advertising or browsing (no static import)', async () => {
    for (const file of ['discovery-runtime-plugin.ts', 'bonjour-advertiser.ts', 'browse-gateways.ts', 'gateway-advertisement.ts']) {
      const source = await readFile(new URL(`../../runtime/${file}`, import.meta.url), 'utf8');
      expect(source, file).not.toMatch(/^import (?!type )[^;]*from 'bonjour-service'/m);
    }
  });
});

describe('gatewayAdvertisement', () => {
  it('builds the _openclaw-gw._tcp record set: instance name, SRV host and port, TXT keys by mode', () => {
    expect(gatewayAdvertisement({ hostname: 'Studio.local', gatewayPort: 18789, mode: 'minimal', sshPort: 22, cliPath: '/x/openclaw' })).toEqual({
      name: 'Studio (OpenClaw)',
      type: 'openclaw-gw',
      protocol: 'tcp',
      port: 18789,
      host: 'Studio.local',
      txt: { role: 'gateway', transport: 'gateway', gatewayPort: '18789' },
    });
    expect(gatewayAdvertisement({ hostname: 'box', gatewayPort: 19001, mode: 'full', sshPort: 2222, cliPath: '/usr/lib/node_modules/clawgate/dist/bin/openclaw.js' })).toMatchObject({
      name: 'box (OpenClaw 19001)',
      host: 'box.local',
      txt: { role: 'gateway', transport: 'gateway', gatewayPort: '19001', sshPort: '2222', cliPath: '/usr/lib/node_modules/clawgate/dist/bin/openclaw.js' },
    });
    expect(gatewayAdvertisement({ hostname: '', gatewayPort: 1, mode: 'minimal' }).host).toBe('openclaw.local');
  });
});
