import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import { devicesService } from '../services.js';

/**
 * `device.pair.*` and `device.token.*` (docs/protocol.md, Device pairing and device tokens); all
 * need the pairing scope.
 */
export function devicesPlugin(): GatewayPlugin {
  return { name: 'devices', setup: setupDevices };
}

function setupDevices(gateway: GatewayHost): void {
  const devices = gateway.service(devicesService);

  gateway.registerMethod('device.pair.list', () => ({ pending: devices.listPending(), paired: devices.listPaired() }));

  gateway.registerMethod('device.pair.approve', async ({ requestId }, { session }) => {
    const device = await devices.approve(requestId, { grantor: session?.scopes });
    gateway.broadcast('device.pair.resolved', { requestId, deviceId: device.deviceId, decision: 'approved', ts: gateway.clock.now() });
    return { requestId, device };
  });

  gateway.registerMethod('device.pair.reject', async ({ requestId }) => {
    const result = await devices.reject(requestId);
    gateway.broadcast('device.pair.resolved', { requestId, deviceId: result.deviceId, decision: 'rejected', ts: gateway.clock.now() });
    return result;
  });

  gateway.registerMethod('device.token.rotate', async ({ deviceId, role, scopes }, { session }) => {
    const record = await devices.rotate(deviceId, role, scopes, { grantor: session?.scopes });
    return { deviceId, role, token: record.token, scopes: record.scopes, rotatedAtMs: record.rotatedAtMs! };
  });

  gateway.registerMethod('device.token.revoke', ({ deviceId, role }) => devices.revoke(deviceId, role));
}
