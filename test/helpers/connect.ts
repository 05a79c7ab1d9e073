import {
  buildDeviceAuthPayload,
  generateDeviceIdentity,
  signDevicePayload,
  type DeviceIdentity,
} from '../../lib/device-identity.js';
import type { ConnectParams } from '../../lib/protocol/generated/types.js';
import { reqId, type Frame, type RawPeer } from './raw-peer.js';

export const TOKEN = 'test-token-0123456789';

export function connectParams(overrides: Partial<ConnectParams> = {}): ConnectParams {
  return {
    minProtocol: 3,
    maxProtocol: 3,
    client: { id: 'test', version: '1.0.0', platform: 'linux', mode: 'test' },
    auth: { token: TOKEN },
    ...overrides,
  };
}

export interface SignOptions {
  identity?: DeviceIdentity;
  version?: 'v1' | 'v2' | 'v3';
  nonce?: string | null;
  signedAt?: number;
  /** Overrides applied to the device claim after signing (to forge bad claims). */
  tamper?: Partial<NonNullable<ConnectParams['device']>>;
}

/** Adds a signed device claim to connect params, exactly as a real client would. */
export function withDevice(params: ConnectParams, nonce: string, options: SignOptions = {}): ConnectParams {
  const identity = options.identity ?? generateDeviceIdentity();
  const signedAt = options.signedAt ?? Date.now();
  const useNonce = options.nonce === null ? undefined : (options.nonce ?? nonce);
  const version = options.version ?? (useNonce ? 'v3' : 'v1');
  const payload = buildDeviceAuthPayload(version, {
    deviceId: identity.deviceId,
    clientId: params.client.id,
    clientMode: params.client.mode,
    role: params.role ?? 'operator',
    scopes: params.scopes ?? [],
    signedAtMs: signedAt,
    // As clients do: the shared token when there is one, else the device token.
    token: params.auth?.token || params.auth?.deviceToken || '',
    nonce: useNonce,
    platform: params.client.platform,
    deviceFamily: params.client.deviceFamily,
  });
  const device = {
    id: identity.deviceId,
    publicKey: identity.publicKey,
    signature: signDevicePayload(identity.privateKeyPem, payload),
    signedAt,
    ...(useNonce ? { nonce: useNonce } : {}),
    ...options.tamper,
  };
  return { ...params, device };
}

/** Waits for the challenge, sends connect, returns the connect res. */
export async function handshake(
  peer: RawPeer,
  build: (nonce: string) => ConnectParams = () => connectParams(),
): Promise<Frame> {
  const { nonce } = await peer.challenge();
  const id = reqId();
  peer.send({ type: 'req', id, method: 'connect', params: build(nonce) });
  return peer.response(id);
}

export async function call(peer: RawPeer, method: string, params?: unknown): Promise<Frame> {
  const id = reqId();
  peer.send({ type: 'req', id, method, ...(params === undefined ? {} : { params }) });
  return peer.response(id);
}
