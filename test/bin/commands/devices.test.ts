import { afterEach, describe, expect, it } from 'vitest';
import { GatewayClient } from '../../../lib/client/index.js';
import { createNodeDeviceSigner, generateDeviceIdentity, type DeviceIdentity } from '../../../lib/device-identity.js';
import { TOKEN } from '../../helpers/connect.js';
import { nodeClientOptions } from '../../helpers/nodes.js';
import { killAll, makeEnv, parseJson, runCli, startGateway } from '../helpers.js';

const clients: GatewayClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await killAll();
});

/** A remote node (non-loopback Host header) with its own identity: it needs an operator's approval. */
function remoteNode(url: string, identity: DeviceIdentity, displayName: string): GatewayClient {
  const client = new GatewayClient(nodeClientOptions(url, { signer: createNodeDeviceSigner(identity), remote: true, displayName }));
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

describe('openclaw devices', () => {
  it('lists a pending remote device, approves, rotates and revokes its token; rejects another', async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
    const gw = await startGateway(['--allow-unconfigured', '--port', '0'], t);
    const cli = (...args: string[]) => runCli([...args, '--url', gw.url], t);

    const phone = generateDeviceIdentity();
    const refused = await remoteNode(gw.url, phone, 'Phone').connect().catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'NOT_PAIRED', message: 'pairing required' });
    const requestId = (refused as { details: { requestId: string } }).details.requestId;

    // One after the other: the first CLI pairs this host's device on its local connect, and a
    // concurrent second one could list that short-lived request as pending too.
    const listed = await cli('devices', 'list', '--json');
    const human = await cli('devices');
    expect(listed.code, listed.output).toBe(0);
    expect(parseJson(listed.stdout).pending).toEqual([
      expect.objectContaining({ requestId, deviceId: phone.deviceId, displayName: 'Phone', role: 'node', clientId: 'node-host' }),
    ]);
    // This CLI paired itself on its first (local) connect.
    expect(human.stdout).toContain('Pending (1):');
    expect(human.stdout).toContain(`  ${requestId}  Phone (${phone.deviceId})  (node-host, linux, role node, from 127.0.0.1)`);
    expect(human.stdout).toMatch(/Paired \(1\):\n {2}\w{64} {2}roles: operator {2}scopes: operator\.admin {2}tokens: operator\n$/);
    const approved = await cli('devices', 'approve', requestId);
    expect(approved.code, approved.output).toBe(0);
    expect(approved.stdout).toBe(`Approved device Phone (${phone.deviceId}) (request ${requestId}) for node.\n`);
    const hello = await remoteNode(gw.url, phone, 'Phone').connect();
    expect(hello.auth?.role).toBe('node');

    const tablet = generateDeviceIdentity();
    const [rotated, wrongRole, tabletRequest] = await Promise.all([
      cli('devices', 'rotate', phone.deviceId, '--role', 'node', '--json'),
      cli('devices', 'rotate', phone.deviceId, '--role', 'operator', '--scopes', 'operator.read, operator.write'),
      remoteNode(gw.url, tablet, 'Tablet').connect().catch((err: { details: { requestId: string } }) => err.details.requestId),
    ]);
    expect(parseJson(rotated.stdout)).toEqual({ deviceId: phone.deviceId, role: 'node', token: expect.stringMatching(/^[0-9a-f]{32}$/), scopes: [], rotatedAtMs: expect.any(Number) });
    expect(parseJson(rotated.stdout).token).not.toBe(hello.auth?.deviceToken);
    expect(wrongRole.code).toBe(1);
    expect(wrongRole.stderr).toBe('openclaw: device is not paired for role operator\n');

    const [revoked, rejected] = await Promise.all([
      cli('devices', 'revoke', phone.deviceId, '--role', 'node'),
      cli('devices', 'reject', tabletRequest as string),
    ]);
    expect(revoked.stdout).toBe(`Revoked the node token of ${phone.deviceId}.\n`);
    expect(rejected.stdout).toBe(`Rejected device ${tablet.deviceId} (request ${tabletRequest}).\n`);
    const after = parseJson((await cli('devices', 'list', '--json')).stdout);
    const paired = after.paired.find((d: { deviceId: string }) => d.deviceId === phone.deviceId);
    expect(paired.tokens).toEqual([expect.objectContaining({ role: 'node', revokedAtMs: expect.any(Number) })]);
    expect(JSON.stringify(after)).not.toContain(parseJson(rotated.stdout).token);
    expect(after.pending).toEqual([]);
  }, 60_000);

  it('says what is missing', async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
    const gw = await startGateway(['--allow-unconfigured', '--port', '0'], t);
    const cli = (...args: string[]) => runCli([...args, '--url', gw.url], t);
    const [noRole, noId, unknown, action] = await Promise.all([
      cli('devices', 'revoke', 'abc'),
      cli('devices', 'approve'),
      cli('devices', 'revoke', 'abc', '--role', 'node'),
      cli('devices', 'bogus'),
    ]);
    expect(noRole.stderr).toBe('openclaw: --role is required; usage: openclaw devices revoke <deviceId> --role <role>\n');
    expect(noId.stderr).toBe('openclaw: usage: openclaw devices approve <requestId>\n');
    expect(unknown.stderr).toBe('openclaw: unknown device token\n');
    expect(action.stderr).toMatch(/^openclaw: unknown devices action: bogus/);
    for (const r of [noRole, noId, unknown, action]) expect(r.code).toBe(1);
  }, 60_000);
});
