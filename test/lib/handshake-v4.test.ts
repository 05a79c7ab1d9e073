import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateDeviceIdentity } from '../../lib/device-identity.js';
import type { Gateway } from '../../lib/gateway.js';
import type { ConnectParams } from '../../lib/protocol/generated/types.js';
import { handshake, withDevice } from '../helpers/connect.js';
import { openMemoryPeer } from '../helpers/memory-peer.js';
import { v4Problems } from '../helpers/v4-conformance.js';
import { createTestGateway } from '../transports/contract.js';

const fixtures = join(import.meta.dirname, '../fixtures/v4');
/** The connect of openclaw@2026.9.6's Control UI, as it sent it to this gateway. */
const controlUiConnect = JSON.parse(readFileSync(join(fixtures, 'control-ui-2026.9.6-connect.json'), 'utf8')) as { params: ConnectParams };

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** A loopback peer: a new device is paired at once, as on the gateway's own host. */
function local(gw: Gateway) {
  return openMemoryPeer(gw, { local: true, remoteAddress: '127.0.0.1' });
}

async function start(options: Parameters<typeof createTestGateway>[0] = {}): Promise<Gateway> {
  gateway = createTestGateway(options);
  await gateway.start();
  return gateway;
}

describe("today's clients connect at protocol 4", () => {
  it("accepts the Control UI's connect as it sends it (buildId, timeZone, caps, token doubled as password), signed by a device", async () => {
    expect(v4Problems('ConnectParams', controlUiConnect.params)).toEqual([]);
    const gw = await start();
    const peer = local(gw);
    const identity = generateDeviceIdentity();
    const res = await handshake(peer, (nonce) => withDevice(structuredClone(controlUiConnect.params), nonce, { identity }));
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
    const hello = res.payload;
    expect(v4Problems('HelloOk', hello)).toEqual([]);
    expect(hello.protocol).toBe(4);
    expect(hello.auth).toMatchObject({ role: 'operator', deviceToken: expect.any(String) });
    expect(hello.auth.deviceTokens).toEqual([{ deviceToken: hello.auth.deviceToken, role: 'operator', scopes: hello.auth.scopes, issuedAtMs: hello.auth.issuedAtMs }]);
    // The client's time zone reaches presence.
    expect(hello.snapshot.presence.find((p: { instanceId?: string }) => p.instanceId === controlUiConnect.params.client.instanceId)?.timeZone).toBe('UTC');
  });

  it('signs in again with only the stored device token in auth.deviceToken (the token it signed)', async () => {
    const gw = await start();
    const identity = generateDeviceIdentity();
    const first = await handshake(local(gw), (nonce) => withDevice(structuredClone(controlUiConnect.params), nonce, { identity }));
    const deviceToken = first.payload.auth.deviceToken as string;

    const params = structuredClone(controlUiConnect.params);
    params.auth = { deviceToken };
    const again = await handshake(local(gw), (nonce) => withDevice(params, nonce, { identity }));
    expect(again.ok, JSON.stringify(again.error)).toBe(true);

    const wrong = structuredClone(controlUiConnect.params);
    wrong.auth = { deviceToken: 'not-the-token' };
    const refused = await handshake(local(gw), (nonce) => withDevice(wrong, nonce, { identity }));
    expect(refused.ok).toBe(false);
  });

  it('names the canvas host as pluginSurfaceUrls.canvas at protocol 4 and canvasHostUrl at protocol 3', async () => {
    const gw = await start({ canvasHostUrl: 'http://127.0.0.1:18793' });
    const v4 = await handshake(local(gw), () => ({ ...structuredClone(controlUiConnect.params), client: { id: 'test', version: '1', platform: 'linux', mode: 'test' } }));
    expect(v4.payload.pluginSurfaceUrls).toEqual({ canvas: 'http://127.0.0.1:18793' });
    expect(v4.payload.canvasHostUrl).toBeUndefined();
    const v3 = await handshake(local(gw), () => ({ ...structuredClone(controlUiConnect.params), minProtocol: 3, maxProtocol: 3, client: { id: 'test', version: '1', platform: 'linux', mode: 'test' } }));
    expect(v3.payload.protocol).toBe(3);
    expect(v3.payload.canvasHostUrl).toBe('http://127.0.0.1:18793');
    expect(v3.payload.pluginSurfaceUrls).toBeUndefined();
  });
});
