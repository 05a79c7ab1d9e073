import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway, GatewayOptions } from '../../lib/gateway.js';
import { connectMemory } from '../../lib/memory-transport.js';
import { devicesService } from '../../lib/services.js';
import { connectParams, handshake, withDevice } from '../helpers/connect.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { createTestGateway } from '../transports/contract.js';

describe('connect checks (memory transport)', () => {
  const gateways: Gateway[] = [];
  const peers: RawPeer[] = [];

  async function start(overrides: Partial<GatewayOptions> = {}): Promise<Gateway> {
    const gateway = createTestGateway(overrides);
    await gateway.start();
    gateways.push(gateway);
    return gateway;
  }

  function open(gateway: Gateway, local: boolean): RawPeer {
    const socket = connectMemory(gateway, { local });
    const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
    socket.onmessage = (t) => peer.receive(t);
    socket.onclose = (c, r) => peer.markClosed(c, r);
    peers.push(peer);
    return peer;
  }

  afterEach(async () => {
    for (const p of peers.splice(0)) p.close();
    for (const g of gateways.splice(0)) await g.close();
  });

  it('lets a remote Control UI with dangerouslyDisableDeviceAuth in on the shared token, even with a device claim', async () => {
    const gateway = await start({ controlUi: { dangerouslyDisableDeviceAuth: true } });
    const peer = open(gateway, false);
    const ui = connectParams({ client: { id: 'openclaw-control-ui', version: '1', platform: 'web', mode: 'ui' } });
    const res = await handshake(peer, (nonce) => withDevice(ui, nonce));
    expect(res.ok, JSON.stringify(res.error)).toBe(true);
    expect(gateway.service(devicesService).listPending()).toEqual([]);
  });
});
