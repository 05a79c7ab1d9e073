import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as delay } from 'node:timers/promises';
import { generateDeviceIdentity } from '../../lib/device-identity.js';
import { Gateway, type GatewayOptions } from '../../lib/gateway.js';
import { call, connectParams, handshake, TOKEN, withDevice } from '../helpers/connect.js';
import type { RawPeer } from '../helpers/raw-peer.js';
import { reqId } from '../helpers/raw-peer.js';
import { speakV4 } from '../helpers/v4-conformance.js';

export interface OpenOptions {
  /** Whether the peer should count as local (loopback, no proxy headers). */
  local?: boolean;
}

export interface TransportHarness {
  open(options?: OpenOptions): Promise<RawPeer>;
  close(): Promise<void>;
}

export interface ContractOptions {
  /** False for transports whose peers are always local (stdio): remote-only scenarios are skipped. */
  supportsRemote: boolean;
  /**
   * 4 runs every scenario as a protocol 4 client and checks each frame the gateway sends against
   * upstream's published v4 schema (test/helpers/v4-conformance.ts). Default 3.
   */
  protocol?: 3 | 4;
}

export type HarnessFactory = (gateway: Gateway) => Promise<TransportHarness>;

export function createTestGateway(overrides: Partial<GatewayOptions> = {}): Gateway {
  return new Gateway({
    auth: { mode: 'token', token: TOKEN },
    version: '9.9.9-test',
    policy: { tickIntervalMs: 60_000 },
    ...overrides,
  });
}

/** The protocol scenarios every transport must pass (protocol.md §2-§7). */
export function runGatewayContract(name: string, factory: HarnessFactory, options: ContractOptions): void {
  const remoteIt = it.skipIf(!options.supportsRemote);
  const v4 = options.protocol === 4;
  describe(`gateway contract over ${name}${v4 ? ', protocol 4' : ''}`, () => {
    let gateway: Gateway | undefined;
    let harness: TransportHarness | undefined;
    const peers: RawPeer[] = [];
    let violations: string[] = [];

    async function setup(overrides: Partial<GatewayOptions> = {}): Promise<void> {
      await harness?.close();
      await gateway?.close();
      gateway = createTestGateway(overrides);
      await gateway.start();
      harness = await factory(gateway);
    }

    async function open(options?: OpenOptions): Promise<RawPeer> {
      const peer = await harness!.open(options);
      if (v4) speakV4(peer, violations);
      peers.push(peer);
      return peer;
    }

    async function ready(build?: (nonce: string) => ReturnType<typeof connectParams>): Promise<RawPeer> {
      const peer = await open();
      const res = await handshake(peer, build);
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
      return peer;
    }

    beforeEach(async () => {
      violations = [];
      await setup();
    });

    afterEach(async () => {
      for (const p of peers.splice(0)) p.close();
      await harness?.close();
      await gateway?.close();
      harness = undefined;
      gateway = undefined;
      expect(violations, 'frames sent to a protocol 4 client that upstream\'s v4 schema refuses').toEqual([]);
    });

    describe('handshake', () => {
      it('sends connect.challenge first, with a fresh nonce and no seq', async () => {
        const a = await open();
        const b = await open();
        const ca = await a.event('connect.challenge');
        const cb = await b.event('connect.challenge');
        expect(a.frames[0]).toBe(ca);
        expect(ca.payload.nonce).toMatch(/^[0-9a-f-]{36}$/);
        expect(ca.payload.nonce).not.toBe(cb.payload.nonce);
        expect(typeof ca.payload.ts).toBe('number');
        expect(ca.seq).toBeUndefined();
      });

      it(`answers hello-ok at protocol ${v4 ? 4 : 3} with features, snapshot and policy`, async () => {
        const peer = await open();
        const res = await handshake(peer);
        expect(res.ok).toBe(true);
        const hello = res.payload;
        expect(hello.type).toBe('hello-ok');
        expect(hello.protocol).toBe(v4 ? 4 : 3);
        expect(hello.server.version).toBe('9.9.9-test');
        expect(hello.server.connId).toMatch(/^[0-9a-f-]{36}$/);
        expect(hello.features.methods).toEqual(
          expect.arrayContaining(['health', 'status', 'system-presence', 'system-event', 'device.pair.list', 'device.token.rotate']),
        );
        expect(hello.features.methods).not.toContain('agent');
        expect(hello.features.events).toEqual(expect.arrayContaining(['connect.challenge', 'presence', 'tick', 'shutdown']));
        expect(hello.policy).toEqual({ maxPayload: 524288, maxBufferedBytes: 1572864, tickIntervalMs: 60000 });
        expect(hello.snapshot.health.ok).toBe(true);
        expect(hello.snapshot.stateVersion).toEqual({ presence: expect.any(Number), health: expect.any(Number) });
        expect(hello.snapshot.uptimeMs).toBeGreaterThanOrEqual(0);
        expect(hello.snapshot.presence.find((p: any) => p.reason === 'self')?.mode).toBe('gateway');
        if (v4) {
          // v4 closed the server block (no host) and added a boot id; auth is always sent.
          expect(Object.keys(hello.server).sort()).toEqual(['bootId', 'connId', 'version']);
          expect(hello.features.capabilities).toEqual([]);
          expect(hello.snapshot.authMode).toBe('token');
          expect(hello.auth).toEqual({ role: 'operator', scopes: ['operator.admin'] });
        } else {
          expect(hello.server.host).toEqual(expect.any(String));
          expect(hello.snapshot.authMode).toBeUndefined();
          expect(hello.auth).toBeUndefined();
        }
      });

      it('answers the highest common protocol and always sends auth at protocol 4', async () => {
        const peer = await open();
        const res = await handshake(peer, () => connectParams({ minProtocol: 3, maxProtocol: 9 }));
        expect(res.payload.protocol).toBe(4);
        expect(res.payload.auth).toEqual({ role: 'operator', scopes: ['operator.admin'] });
      });

      it('refuses a protocol range without 3 or 4 with 1002', async () => {
        const peer = await open();
        const res = await handshake(peer, () => connectParams({ minProtocol: 5, maxProtocol: 6 }));
        expect(res.ok).toBe(false);
        expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { expectedProtocol: 3 } });
        expect(await peer.waitClosed()).toEqual({ code: 1002, reason: 'protocol mismatch' });
      });

      it('closes 1008 without a res when the first frame is malformed JSON', async () => {
        const peer = await open();
        await peer.challenge();
        peer.sendText('{not json');
        expect((await peer.waitClosed()).code).toBe(1008);
        expect(peer.frames.filter((f) => f.type === 'res')).toEqual([]);
      });

      it('closes 1008 "invalid request frame" when the first frame is not a req', async () => {
        const peer = await open();
        await peer.challenge();
        peer.send({ type: 'event', event: 'x' });
        expect(await peer.waitClosed()).toEqual({ code: 1008, reason: 'invalid request frame' });
      });

      it('refuses a first request that is not connect', async () => {
        const peer = await open();
        await peer.challenge();
        peer.send({ type: 'req', id: 'h1', method: 'health' });
        const res = await peer.response('h1');
        expect(res.error).toEqual({ code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' });
        expect(await peer.waitClosed()).toEqual({ code: 1008, reason: 'invalid handshake: first request must be connect' });
      });

      it('refuses invalid connect params naming the AJV path', async () => {
        const peer = await open();
        const res = await handshake(peer, () => ({ ...connectParams(), client: { ...connectParams().client, id: 'bogus' as never } }));
        expect(res.error.code).toBe('INVALID_REQUEST');
        expect(res.error.message).toMatch(/^invalid connect params: .*\/client\/id/);
        const closed = await peer.waitClosed();
        expect(closed.code).toBe(1008);
        expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(120);
      });

      it('answers a hostile connect frame at once while other clients keep being served', async () => {
        const other = await ready();
        const rtts: number[] = [];
        let pinging = true;
        const pings = (async () => {
          while (pinging) {
            const started = performance.now();
            const res = await call(other, 'health');
            expect(res.ok).toBe(true);
            rtts.push(performance.now() - started);
          }
        })();
        await other.waitFor(() => rtts.length >= 3 || undefined, 'first health round trips');

        // ~500 KiB of wrong-typed items: every item is an error, and the frame is just under maxPayload.
        const hostile = await open();
        const { nonce: _nonce } = await hostile.challenge();
        const frame = JSON.stringify({ type: 'req', id: 'big', method: 'connect', params: { ...connectParams(), scopes: [] } });
        const items = Array.from({ length: 250_000 }, () => 1).join(',');
        hostile.sendText(frame.replace('"scopes":[]', `"scopes":[${items}]`));
        const res = await hostile.response('big');
        const seen = rtts.length;
        await other.waitFor(() => rtts.length >= seen + 3 || undefined, 'health round trips after the hostile frame');
        pinging = false;
        await pings;

        expect(res.error.code).toBe('INVALID_REQUEST');
        expect(res.error.message).toMatch(/^invalid connect params: at \/scopes: must NOT have more than 32 items/);
        expect(res.error.message.length).toBeLessThan(600);
        // Before the fix this frame held the event loop for minutes; a linear pass takes milliseconds.
        expect(Math.max(...rtts)).toBeLessThan(1_000);
      });

      it('names several problems of a small invalid connect, and bounds the message', async () => {
        const peer = await open();
        const extra = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`extra${i}_${'x'.repeat(200)}`, i]));
        const res = await handshake(peer, () => ({ ...connectParams(), client: { ...connectParams().client, ...extra } as never }));
        expect(res.error.message).toMatch(/^invalid connect params: at \/client: unexpected property 'extra0_x+…'; .*'extra1_x+…'.*; and 7 more$/);
        expect(res.error.message.length).toBeLessThan(600);
      });

      it('refuses an unknown role', async () => {
        const peer = await open();
        const res = await handshake(peer, () => connectParams({ role: 'root' }));
        expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'invalid role' });
        expect(await peer.waitClosed()).toEqual({ code: 1008, reason: 'invalid role' });
      });

      it('refuses a missing or wrong token', async () => {
        const a = await open();
        const missing = await handshake(a, () =>
          connectParams({ auth: {}, client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli' } }),
        );
        // No token and no device: the device check comes first.
        expect(missing.error).toMatchObject({ code: 'NOT_PAIRED', message: 'device identity required' });
        expect((await a.waitClosed()).code).toBe(1008);

        const b = await open();
        const wrong = await handshake(b, () => connectParams({ auth: { token: 'nope' } }));
        expect(wrong.error.code).toBe('INVALID_REQUEST');
        expect(wrong.error.message).toBe('unauthorized: gateway token mismatch (provide gateway auth token)');
        expect(wrong.error.details).toEqual({ code: 'AUTH_TOKEN_MISMATCH', reason: 'token_mismatch' });
        expect((await b.waitClosed()).code).toBe(1008);
      });

      it('reports a missing token for a signed device without one', async () => {
        const peer = await open();
        const res = await handshake(peer, (nonce) => withDevice(connectParams({ auth: {} }), nonce));
        expect(res.error.message).toMatch(/^unauthorized: gateway token missing/);
      });

      it('refuses the Control UI without a device identity', async () => {
        const peer = await open();
        const res = await handshake(peer, () =>
          connectParams({ client: { id: 'openclaw-control-ui', version: '1', platform: 'web', mode: 'ui' } }),
        );
        expect(res.error.message).toBe('control ui requires HTTPS or localhost (secure context)');
        expect((await peer.waitClosed()).code).toBe(1008);
      });

      it('accepts password auth in password mode', async () => {
        await setup({ auth: { mode: 'password', password: 'hunter2' } });
        const peer = await open();
        const res = await handshake(peer, (nonce) => withDevice(connectParams({ auth: { password: 'hunter2' } }), nonce));
        expect(res.ok).toBe(true);
        const bad = await open();
        const refused = await handshake(bad, (nonce) => withDevice(connectParams({ auth: { password: 'x' } }), nonce));
        expect(refused.error.message).toMatch(/^unauthorized: gateway password mismatch/);
      });

      for (const version of ['v2', 'v3'] as const) {
        it(`accepts a signed ${version} device identity and issues a device token`, async () => {
          const identity = generateDeviceIdentity();
          const peer = await open();
          const res = await handshake(peer, (nonce) => withDevice(connectParams({ maxProtocol: 4 }), nonce, { identity, version }));
          expect(res.ok, JSON.stringify(res.error)).toBe(true);
          expect(res.payload.protocol).toBe(4);
          expect(res.payload.auth).toMatchObject({
            role: 'operator',
            scopes: ['operator.admin'],
            deviceToken: expect.stringMatching(/^[0-9a-f]{32}$/),
          });

          // The device token alone authenticates the same device later.
          const again = await open();
          const deviceToken = res.payload.auth.deviceToken;
          const res2 = await handshake(again, (nonce) => withDevice(connectParams({ auth: { token: deviceToken } }), nonce, { identity }));
          expect(res2.ok, JSON.stringify(res2.error)).toBe(true);
          expect(res2.payload.auth.deviceToken).toBe(deviceToken);

          // ...but not another device.
          const other = await open();
          const res3 = await handshake(other, (nonce) => withDevice(connectParams({ auth: { token: deviceToken } }), nonce));
          expect(res3.error.message).toMatch(/^unauthorized: gateway token mismatch/);
        });
      }

      it('accepts a local v1 signature without nonce at protocol 3 only', async () => {
        const peer = await open();
        const res = await handshake(peer, (nonce) => withDevice(connectParams(), nonce, { nonce: null }));
        expect(res.ok, JSON.stringify(res.error)).toBe(true);
        const v4 = await open();
        const res4 = await handshake(v4, (nonce) => withDevice(connectParams({ maxProtocol: 4 }), nonce, { nonce: null }));
        expect(res4.error.message).toBe('device nonce required');
      });

      const badClaims: Array<[string, () => Parameters<typeof withDevice>[2], string]> = [
        ['identity mismatch', () => ({ tamper: { id: 'a'.repeat(64) } }), 'device identity mismatch'],
        ['expired signature', () => ({ signedAt: Date.now() - 11 * 60_000 }), 'device signature expired'],
        ['nonce mismatch', () => ({ nonce: 'not-the-challenge' }), 'device nonce mismatch'],
        ['bad signature', () => ({ tamper: { signature: Buffer.alloc(64, 1).toString('base64url') } }), 'device signature invalid'],
        ['bad public key', () => ({ tamper: { publicKey: 'abc' } }), 'device public key invalid'],
      ];
      for (const [label, options, message] of badClaims) {
        it(`refuses a device claim with ${label}`, async () => {
          const peer = await open();
          const res = await handshake(peer, (nonce) => withDevice(connectParams(), nonce, options()));
          expect(res.error).toMatchObject({ code: 'INVALID_REQUEST', message });
          expect(await peer.waitClosed()).toEqual({ code: 1008, reason: message });
        });
      }

      remoteIt('requires pairing for a remote device and lets an operator approve it', async () => {
        const admin = await ready();
        const identity = generateDeviceIdentity();
        const remote = await open({ local: false });
        const res = await handshake(remote, (nonce) => withDevice(connectParams(), nonce, { identity }));
        expect(res.error).toMatchObject({ code: 'NOT_PAIRED', message: 'pairing required', details: { requestId: expect.any(String) } });
        expect(await remote.waitClosed()).toEqual({ code: 1008, reason: 'pairing required' });
        const requested = await admin.event('device.pair.requested');
        expect(requested.payload).toMatchObject({ requestId: res.error.details.requestId, deviceId: identity.deviceId });

        const list = await call(admin, 'device.pair.list', {});
        expect(list.payload.pending.map((p: any) => p.deviceId)).toContain(identity.deviceId);
        const approved = await call(admin, 'device.pair.approve', { requestId: res.error.details.requestId });
        expect(approved.payload.device).toMatchObject({ deviceId: identity.deviceId, roles: ['operator'] });
        expect(JSON.stringify(approved.payload)).not.toMatch(/"token"/);
        await admin.event('device.pair.resolved', (f) => f.payload.decision === 'approved');

        const again = await open({ local: false });
        const ok = await handshake(again, (nonce) => withDevice(connectParams(), nonce, { identity }));
        expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
      });

      remoteIt('never lets a pairing-scoped device grant itself more: rotate, approve and the admin call are all refused', async () => {
        const admin = await ready();
        const identity = generateDeviceIdentity();
        const pairingOnly = connectParams({ scopes: ['operator.pairing'] });
        // The device is paired for operator.pairing by an admin and receives its device token.
        const first = await open({ local: false });
        const pending = await handshake(first, (nonce) => withDevice(pairingOnly, nonce, { identity }));
        await call(admin, 'device.pair.approve', { requestId: pending.error.details.requestId });
        const issued = await handshake(await open({ local: false }), (nonce) => withDevice(pairingOnly, nonce, { identity }));
        const deviceToken: string = issued.payload.auth.deviceToken;
        // From here on it holds only its device token, not the gateway's shared secret.
        const device = await open({ local: false });
        const session = await handshake(device, (nonce) =>
          withDevice(connectParams({ scopes: ['operator.pairing'], auth: { token: deviceToken } }), nonce, { identity }),
        );
        expect(session.ok, JSON.stringify(session.error)).toBe(true);

        // Step 1: mint itself an admin token, explicitly or by inheriting an admin device's scopes.
        const rotate = await call(device, 'device.token.rotate', { deviceId: identity.deviceId, role: 'operator', scopes: ['operator.admin'] });
        expect(rotate.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/^missing scope: operator\.admin/) });
        const adminDevice = generateDeviceIdentity();
        const local = await handshake(await open(), (nonce) => withDevice(connectParams(), nonce, { identity: adminDevice }));
        expect(local.ok).toBe(true);
        const inherit = await call(device, 'device.token.rotate', { deviceId: adminDevice.deviceId, role: 'operator' });
        expect(inherit.error?.message).toMatch(/^missing scope: operator\.admin/);
        const withAdminToken = await open({ local: false });
        const refusedConnect = await handshake(withAdminToken, (nonce) =>
          withDevice(connectParams({ scopes: ['operator.admin'], auth: { token: deviceToken } }), nonce, { identity }),
        );
        expect(refusedConnect.ok).toBe(false);
        // A wrong secret blocks the device's next attempt briefly (the brute-force backoff).
        await delay(refusedConnect.error.retryAfterMs);

        // Step 2: approve a pairing request that asks for admin (here raised with the shared secret).
        const upgrade = await handshake(await open({ local: false }), (nonce) =>
          withDevice(connectParams({ scopes: ['operator.admin'] }), nonce, { identity }),
        );
        const requestId: string = upgrade.error.details.requestId;
        const approve = await call(device, 'device.pair.approve', { requestId });
        expect(approve.error?.message).toMatch(/^missing scope: operator\.admin/);
        const stillPending = await call(admin, 'device.pair.list', {});
        expect(stillPending.payload.pending.map((p: any) => p.requestId)).toContain(requestId);
        expect(stillPending.payload.paired.find((d: any) => d.deviceId === identity.deviceId).scopes).toEqual(['operator.pairing']);

        // Step 3: the admin-only call.
        expect((await call(device, 'config.get', {})).error?.message).toMatch(/missing scope: operator\.admin|unknown method/);
        // What it may do: rotate its own token within its scopes.
        const own = await call(device, 'device.token.rotate', { deviceId: identity.deviceId, role: 'operator' });
        expect(own.payload).toMatchObject({ scopes: ['operator.pairing'] });
      });

      remoteIt('gives a pairing request that asks for other access a new id, so an approval covers only what was reviewed', async () => {
        const admin = await ready();
        const identity = generateDeviceIdentity();
        const asRead = await handshake(await open({ local: false }), (nonce) =>
          withDevice(connectParams({ scopes: ['operator.read'] }), nonce, { identity }),
        );
        const asReadAgain = await handshake(await open({ local: false }), (nonce) =>
          withDevice(connectParams({ scopes: ['operator.read'] }), nonce, { identity }),
        );
        expect(asReadAgain.error.details.requestId).toBe(asRead.error.details.requestId);
        const asAdmin = await handshake(await open({ local: false }), (nonce) =>
          withDevice(connectParams({ scopes: ['operator.admin'] }), nonce, { identity }),
        );
        expect(asAdmin.error.details.requestId).not.toBe(asRead.error.details.requestId);
        expect((await call(admin, 'device.pair.approve', { requestId: asRead.error.details.requestId })).error?.message).toBe('unknown requestId');
        const pending = (await call(admin, 'device.pair.list', {})).payload.pending;
        expect(pending).toEqual([expect.objectContaining({ requestId: asAdmin.error.details.requestId, scopes: ['operator.admin'] })]);
      });

      remoteIt('lets an operator reject a pairing request', async () => {
        const admin = await ready();
        const remote = await open({ local: false });
        const res = await handshake(remote, (nonce) => withDevice(connectParams(), nonce));
        const requestId = res.error.details.requestId;
        const rejected = await call(admin, 'device.pair.reject', { requestId });
        expect(rejected.payload).toEqual({ requestId, deviceId: expect.any(String) });
        await admin.event('device.pair.resolved', (f) => f.payload.decision === 'rejected');
        expect((await call(admin, 'device.pair.list', {})).payload.pending).toEqual([]);
      });

      remoteIt('requires a nonce from remote devices', async () => {
        const peer = await open({ local: false });
        const res = await handshake(peer, (nonce) => withDevice(connectParams(), nonce, { nonce: null }));
        expect(res.error.message).toBe('device nonce required');
      });

      it('closes a peer that never connects after the handshake timeout', async () => {
        await setup({ handshakeTimeoutMs: 100 });
        const peer = await open();
        await peer.challenge();
        expect((await peer.waitClosed()).code).toBe(1008);
      });
    });

    describe('after the handshake', () => {
      it('answers an invalid frame with INVALID_REQUEST and keeps the socket open', async () => {
        const peer = await ready();
        peer.send({ type: 'req', id: 'bad1', method: '' });
        const res = await peer.response('bad1');
        expect(res.error.code).toBe('INVALID_REQUEST');
        expect(res.error.message).toMatch(/^invalid request frame: /);
        peer.send({ type: 'req', id: 'x', method: 'health', extra: 1 });
        expect((await peer.response('x')).error.message).toMatch(/unexpected property 'extra'/);
        peer.send({ hello: 'world' });
        expect((await peer.response('invalid')).ok).toBe(false);
        peer.sendText('garbage{');
        expect((await call(peer, 'health')).ok).toBe(true);
        expect(peer.closed).toBeUndefined();
      });

      it('refuses unknown methods, bad params and a second connect', async () => {
        const peer = await ready();
        expect((await call(peer, 'does.not.exist')).error).toEqual({ code: 'INVALID_REQUEST', message: 'unknown method: does.not.exist' });
        const bad = await call(peer, 'health', { probe: 'yes' });
        expect(bad.error.message).toMatch(/^invalid health params: at \/probe: must be boolean/);
        const again = await call(peer, 'connect', connectParams());
        expect(again.error.message).toBe('connect is only valid as the first request');
        expect((await call(peer, 'health')).ok).toBe(true);
      });

      it('serves health, status and system-presence', async () => {
        const peer = await ready();
        const health = await call(peer, 'health', { probe: true });
        expect(health.payload).toMatchObject({
          ok: true,
          defaultAgentId: 'main',
          channels: {},
          agents: [expect.objectContaining({ agentId: 'main', isDefault: true })],
        });
        const status = await call(peer, 'status');
        expect(status.payload).toMatchObject({ heartbeat: { defaultAgentId: 'main' }, channelSummary: [], queuedSystemEvents: [] });
        const presence = await call(peer, 'system-presence');
        expect(Array.isArray(presence.payload)).toBe(true);
        expect(presence.payload.some((p: any) => p.mode === 'test' && p.reason === 'connect')).toBe(true);
      });

      it('records system events, updates presence and broadcasts it', async () => {
        const peer = await ready();
        const res = await call(peer, 'system-event', {
          text: 'Node: studio (10.0.0.5) · app 1.2.3 · last input 12s ago · mode ui · reason periodic',
          instanceId: 'mac-1',
        });
        expect(res.payload).toEqual({ ok: true });
        const ev = await peer.event('presence', (f) => f.payload.presence.some((p: any) => p.instanceId === 'mac-1'));
        expect(ev.stateVersion).toEqual({ presence: expect.any(Number), health: expect.any(Number) });
        expect(typeof ev.seq).toBe('number');
        expect(ev.payload.presence.find((p: any) => p.instanceId === 'mac-1')).toMatchObject({
          host: 'studio',
          ip: '10.0.0.5',
          version: '1.2.3',
          lastInputSeconds: 12,
          mode: 'ui',
          reason: 'periodic',
        });
        const status = await call(peer, 'status');
        expect(status.payload.queuedSystemEvents).toHaveLength(1);
        expect((await call(peer, 'system-event', {})).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'text required' });
      });

      it('enforces roles and scopes', async () => {
        const reader = await ready(() => connectParams({ scopes: ['operator.read'] }));
        expect((await call(reader, 'health')).ok).toBe(true);
        expect((await call(reader, 'system-event', { text: 'x' })).error.message).toBe('missing scope: operator.admin');
        expect((await call(reader, 'device.pair.list', {})).error.message).toBe('missing scope: operator.pairing');
        const pairer = await ready(() => connectParams({ scopes: ['operator.pairing'] }));
        expect((await call(pairer, 'device.pair.list', {})).ok).toBe(true);
        expect((await call(pairer, 'health')).error.message).toBe('missing scope: operator.read');
        const node = await ready(() =>
          connectParams({ role: 'node', client: { id: 'node-host', version: '1', platform: 'linux', mode: 'node' } }),
        );
        expect((await call(node, 'health')).error.message).toBe('unauthorized role: node');
      });

      it('rotates and revokes device tokens', async () => {
        const identity = generateDeviceIdentity();
        const device = await open();
        const hello = await handshake(device, (nonce) => withDevice(connectParams(), nonce, { identity }));
        const admin = await ready();
        const rotated = await call(admin, 'device.token.rotate', { deviceId: identity.deviceId, role: 'operator' });
        expect(rotated.payload).toMatchObject({ deviceId: identity.deviceId, role: 'operator', token: expect.stringMatching(/^[0-9a-f]{32}$/) });
        expect(rotated.payload.token).not.toBe(hello.payload.auth.deviceToken);

        const stale = await open();
        const res = await handshake(stale, (nonce) =>
          withDevice(connectParams({ auth: { token: hello.payload.auth.deviceToken } }), nonce, { identity }),
        );
        expect(res.ok).toBe(false);
        expect(res.error).toMatchObject({ retryable: false, retryAfterMs: expect.any(Number) });
        await delay(res.error.retryAfterMs);
        const fresh = await open();
        const freshRes = await handshake(fresh, (nonce) => withDevice(connectParams({ auth: { token: rotated.payload.token } }), nonce, { identity }));
        expect(freshRes.ok).toBe(true);

        const revoked = await call(admin, 'device.token.revoke', { deviceId: identity.deviceId, role: 'operator' });
        expect(revoked.payload).toMatchObject({ deviceId: identity.deviceId, role: 'operator', revokedAtMs: expect.any(Number) });
        const after = await open();
        const afterRes = await handshake(after, (nonce) => withDevice(connectParams({ auth: { token: rotated.payload.token } }), nonce, { identity }));
        expect(afterRes.ok).toBe(false);
        expect((await call(admin, 'device.token.rotate', { deviceId: 'nope', role: 'operator' })).error.message).toBe('unknown deviceId');
        expect((await call(admin, 'device.pair.approve', { requestId: 'nope' })).error.message).toBe('unknown requestId');
      });
    });

    describe('presence and events', () => {
      it('announces joins and leaves with a rising seq', async () => {
        const watcher = await ready(() =>
          connectParams({ client: { id: 'test', version: '1', platform: 'linux', mode: 'ui', instanceId: 'watcher' } }),
        );
        const joiner = await ready(() =>
          connectParams({ client: { id: 'test', version: '1', platform: 'linux', mode: 'backend', instanceId: 'Joiner-1' } }),
        );
        const joined = await watcher.event('presence', (f) =>
          f.payload.presence.some((p: any) => p.instanceId === 'Joiner-1' && p.reason === 'connect'),
        );
        joiner.close();
        const left = await watcher.event('presence', (f) =>
          f.payload.presence.some((p: any) => p.instanceId === 'Joiner-1' && p.reason === 'disconnect'),
        );
        expect(left.seq).toBeGreaterThan(joined.seq);
        expect(left.stateVersion.presence).toBeGreaterThan(joined.stateVersion.presence);
      });

      it('does not track cli clients in presence', async () => {
        const cli = await ready(() =>
          connectParams({ client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli', instanceId: 'cli-1' } }),
        );
        const presence = await call(cli, 'system-presence');
        expect(presence.payload.some((p: any) => p.instanceId === 'cli-1')).toBe(false);
      });

      it('ticks on the policy interval', async () => {
        await setup({ policy: { tickIntervalMs: 50 } });
        const peer = await ready();
        const tick = await peer.event('tick');
        expect(tick.payload.ts).toEqual(expect.any(Number));
        expect(tick.seq).toEqual(expect.any(Number));
      });

      remoteIt('sends pairing events only to pairing-scoped operators', async () => {
        const reader = await ready(() => connectParams({ scopes: ['operator.read'] }));
        const pairer = await ready(() => connectParams({ scopes: ['operator.pairing'] }));
        const remote = await open({ local: false });
        await handshake(remote, (nonce) => withDevice(connectParams(), nonce));
        await pairer.event('device.pair.requested');
        expect((await call(reader, 'health')).ok).toBe(true);
        expect(reader.frames.some((f) => f.event === 'device.pair.requested')).toBe(false);
      });

      it('sends shutdown then closes every client with 1012', async () => {
        const a = await ready();
        const b = await ready();
        await gateway!.close({ reason: 'test over', restartExpectedMs: 1500 });
        for (const peer of [a, b]) {
          const shutdown = await peer.event('shutdown');
          expect(shutdown.payload).toEqual({ reason: 'test over', restartExpectedMs: 1500 });
          expect(await peer.waitClosed()).toEqual({ code: 1012, reason: 'service restart' });
        }
      });

      it('keeps serving other clients while one sends garbage', async () => {
        const good = await ready();
        const bad = await ready();
        for (let i = 0; i < 50; i++) bad.sendText(i % 2 ? '[]' : `{"type":"req","id":"${i}"}`);
        const id = reqId();
        good.send({ type: 'req', id, method: 'status' });
        expect((await good.response(id)).ok).toBe(true);
      });
    });
  });
}
