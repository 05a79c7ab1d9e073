import { sourceKey, type AuthAttempt, type AuthRateLimiter } from './auth-rate-limiter.js';
import { buildDeviceAuthPayload, deriveDeviceId, verifyDeviceSignature } from './device-identity.js';
import type { DevicePairingStore } from './device-pairing-store.js';
import { GatewayError } from './errors.js';
import { ADMIN_SCOPE, type Role } from './method-access.js';
import { CloseCode, SUPPORTED_PROTOCOLS } from './protocol/index.js';
import type { ConnectParams, DevicePairingRequest } from './protocol/generated/types.js';
import { checkSharedAuth, describeAuthFailure, type GatewayAuthConfig } from './shared-auth.js';
import type { PeerInfo } from './transport.js';

export const SIGNATURE_SKEW_MS = 10 * 60_000;

export interface ControlUiAuthOptions {
  allowInsecureAuth?: boolean;
  dangerouslyDisableDeviceAuth?: boolean;
}

export interface ConnectCheckInput {
  params: ConnectParams;
  nonce: string;
  peer: PeerInfo;
  now: number;
  auth: GatewayAuthConfig;
  controlUi: ControlUiAuthOptions;
  devices: DevicePairingStore;
  /** Brute-force protection; without it secrets are checked at any rate (in-process hosts). */
  limiter?: AuthRateLimiter;
}

export interface ConnectAccepted {
  ok: true;
  protocol: number;
  role: Role;
  scopes: string[];
  authMethod: 'token' | 'password' | 'device-token';
  deviceId?: string;
  /** A pairing request this connect created and that was approved at once (local peer). */
  autoApproved?: DevicePairingRequest;
}

export interface ConnectRefused {
  ok: false;
  error: GatewayError;
  closeCode: number;
  closeReason: string;
  /** A pairing request this connect created, now waiting for an operator: to announce. */
  pairingRequest?: DevicePairingRequest;
}

/** The server-side connect checks, in the order docs/protocol.md (Connect checks) lists them. */
export async function runConnectChecks(input: ConnectCheckInput): Promise<ConnectAccepted | ConnectRefused> {
  const { params, peer, controlUi, devices } = input;

  const protocol = negotiateProtocol(params.minProtocol, params.maxProtocol);
  if (protocol === undefined) {
    return refuse(
      new GatewayError('INVALID_REQUEST', 'protocol mismatch', {
        details: { expectedProtocol: SUPPORTED_PROTOCOLS[0], supportedProtocols: [...SUPPORTED_PROTOCOLS] },
      }),
      CloseCode.ProtocolError,
    );
  }

  const role = params.role ?? 'operator';
  if (role !== 'operator' && role !== 'node') return refuse(new GatewayError('INVALID_REQUEST', 'invalid role'));
  const requestedScopes = params.scopes ?? [];
  const scopes = requestedScopes.length > 0 || role === 'node' ? [...requestedScopes] : [ADMIN_SCOPE];

  const isControlUi = params.client.id === 'openclaw-control-ui';
  const controlUiBypass = isControlUi && Boolean(controlUi.allowInsecureAuth || controlUi.dangerouslyDisableDeviceAuth);
  // With device auth disabled for the Control UI its device claim is ignored: it is never paired,
  // so it could get no device token, and the shared secret alone admits it.
  const skipDevice = isControlUi && Boolean(controlUi.dangerouslyDisableDeviceAuth);
  const device = skipDevice ? undefined : params.device;
  if (!device) {
    if (isControlUi && !controlUiBypass) {
      return refuse(new GatewayError('INVALID_REQUEST', 'control ui requires HTTPS or localhost (secure context)'));
    }
    const hasSecret = Boolean(params.auth?.token) || (controlUiBypass && Boolean(params.auth?.password));
    if (!hasSecret) return refuse(new GatewayError('NOT_PAIRED', 'device identity required'));
  } else {
    const problem = checkDeviceClaim(input, protocol, role, requestedScopes);
    if (problem) return refuse(new GatewayError('INVALID_REQUEST', problem));
  }

  const attempt = input.limiter ? authAttempt(peer, device?.id, devices) : undefined;
  if (attempt) {
    const limit = input.limiter!.check(attempt);
    if (!limit.ok) return refuse(rateLimited(limit.retryAfterMs));
  }
  const shared = checkSharedAuth(input.auth, params.auth);
  const deviceToken = presentedDeviceToken(params);
  let authMethod: ConnectAccepted['authMethod'];
  if (shared.ok) {
    authMethod = shared.method;
  } else if (device && deviceToken && devices.verifyToken(device.id, role, deviceToken, scopes)) {
    authMethod = 'device-token';
  } else {
    const { message, details } = describeAuthFailure(shared.reason, params.client.id);
    // Only a presented secret that was wrong is a guess (a device token too, whatever the shared
    // check said); a missing one teaches the client nothing.
    const guessed = shared.reason === 'token_mismatch' || shared.reason === 'password_mismatch' || Boolean(device && deviceToken);
    const retryAfterMs = attempt && guessed ? input.limiter!.failed(attempt) : undefined;
    return refuse(new GatewayError('INVALID_REQUEST', message, { details, ...(retryAfterMs ? { retryable: false, retryAfterMs } : {}) }));
  }
  if (attempt) input.limiter!.succeeded(attempt);

  if (!device) return { ok: true, protocol, role, scopes, authMethod };

  let autoApproved: DevicePairingRequest | undefined;
  if (!devices.isPairedFor(device.id, role, scopes)) {
    const { request, created } = await devices.requestPairing({
      deviceId: device.id,
      publicKey: device.publicKey,
      displayName: params.client.displayName,
      platform: params.client.platform,
      clientId: params.client.id,
      clientMode: params.client.mode,
      role,
      roles: [role],
      scopes,
      remoteIp: peer.remoteAddress,
      silent: peer.local,
    });
    if (!peer.local) {
      return {
        ...refuse(new GatewayError('NOT_PAIRED', 'pairing required', { details: { requestId: request.requestId } })),
        closeReason: 'pairing required',
        // A device that keeps retrying is announced once, not on every attempt.
        ...(created ? { pairingRequest: request } : {}),
      };
    }
    try {
      await devices.approve(request.requestId);
    } catch (err) {
      // Concurrent connects of one new local device share a pending request; whichever approves
      // it first wins, and the others find the device already paired.
      if (!devices.isPairedFor(device.id, role, scopes)) throw err;
    }
    autoApproved = request;
  }
  return { ok: true, protocol, role, scopes, authMethod, deviceId: device.id, autoApproved };
}

/**
 * Whose failure history a connect answers to. A paired device whose signature just verified is
 * judged by its own history alone; anyone else by its source address (and its device claim, if
 * any). In-process peers have no address and are not limited.
 */
function authAttempt(peer: PeerInfo, deviceId: string | undefined, devices: DevicePairingStore): AuthAttempt | undefined {
  if (deviceId && devices.getPaired(deviceId)) return { keys: [`device:${deviceId}`], trusted: true };
  const keys = [
    ...(peer.remoteAddress ? [sourceKey(peer.remoteAddress)] : []),
    ...(deviceId ? [`device:${deviceId}`] : []),
  ];
  return keys.length > 0 ? { keys } : undefined;
}

/** The refusal of an attempt made while its keys are blocked (upstream's `AUTH_RATE_LIMITED`). */
export function rateLimited(retryAfterMs: number): GatewayError {
  return new GatewayError('INVALID_REQUEST', `unauthorized: too many failed authentication attempts; retry in ${Math.ceil(retryAfterMs / 1000)} s`, {
    details: { code: 'AUTH_RATE_LIMITED', retryAfterMs },
    retryable: true,
    retryAfterMs,
  });
}

/** Protocol 4 clients present a stored device token as `auth.deviceToken`; protocol 3 ones as `auth.token`. */
function presentedDeviceToken(params: ConnectParams): string | undefined {
  return params.auth?.deviceToken || params.auth?.token || undefined;
}

/** Highest protocol version both sides accept, or undefined. */
export function negotiateProtocol(min: number, max: number): number | undefined {
  let best: number | undefined;
  for (const v of SUPPORTED_PROTOCOLS) if (v >= min && v <= max) best = v;
  return best;
}

function checkDeviceClaim(
  input: ConnectCheckInput,
  protocol: number,
  role: string,
  requestedScopes: string[],
): string | undefined {
  const { params, peer, now, nonce } = input;
  const device = params.device!;
  const derived = deriveDeviceId(device.publicKey);
  if (derived === undefined) return 'device public key invalid';
  if (derived !== device.id) return 'device identity mismatch';
  if (Math.abs(now - device.signedAt) > SIGNATURE_SKEW_MS) return 'device signature expired';
  if (!device.nonce && (!peer.local || protocol >= 4)) return 'device nonce required';
  if (device.nonce && device.nonce !== nonce) return 'device nonce mismatch';
  const base = {
    deviceId: device.id,
    clientId: params.client.id,
    clientMode: params.client.mode,
    role,
    scopes: requestedScopes,
    signedAtMs: device.signedAt,
    // A client signs the shared token when it has one, else its device token (or bootstrap token).
    token: params.auth?.token || params.auth?.deviceToken || params.auth?.bootstrapToken || '',
    nonce: device.nonce,
    platform: params.client.platform,
    deviceFamily: params.client.deviceFamily,
  };
  const versions = device.nonce ? (['v3', 'v2'] as const) : (['v1'] as const);
  const valid = versions.some((v) => verifyDeviceSignature(device.publicKey, buildDeviceAuthPayload(v, base), device.signature));
  return valid ? undefined : 'device signature invalid';
}

function refuse(error: GatewayError, closeCode: number = CloseCode.PolicyViolation): ConnectRefused {
  return { ok: false, error, closeCode, closeReason: error.message };
}
