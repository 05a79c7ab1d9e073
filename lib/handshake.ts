import type { AuthRateLimiter } from './auth-rate-limiter.js';
import type { Clock } from './clock.js';
import type { GatewayConnection } from './connection.js';
import { runConnectChecks, type ConnectAccepted, type ControlUiAuthOptions } from './connect-checks.js';
import type { DevicePairingStore } from './device-pairing-store.js';
import { GatewayError, invalidRequest } from './errors.js';
import type { Logger } from './logger.js';
import type { ClientSession } from './method-context.js';
import { CloseCode } from './protocol/index.js';
import type { ConnectParams, DevicePairingRequest, HelloOk, PresenceEntry, RequestFrame } from './protocol/generated/types.js';
import { loadProtocolSchema, validatorFor } from './protocol/validate.js';
import type { GatewayAuthConfig } from './shared-auth.js';
import { truncateUtf8 } from './truncate-utf8.js';
import { presenceText } from './presence-text.js';
import { composePayload } from './sealed-payload.js';

const validateRequestFrame = validatorFor<RequestFrame>('RequestFrame');
const validateConnectParams = validatorFor<ConnectParams>('ConnectParams');

export interface HandshakeDeps {
  auth: GatewayAuthConfig;
  controlUi: ControlUiAuthOptions;
  devices: DevicePairingStore;
  limiter?: AuthRateLimiter;
  clock: Clock;
  logger: Logger;
  /** A remote device asked to be paired: announce it (`device.pair.requested`). */
  pairingRequested(request: DevicePairingRequest): void;
  /** A connect brought no valid secret or was rate limited; `reason` as its refusal names it. */
  authFailed?(reason: string): void;
  reportError(err: unknown, where: string): void;
}

export interface HandshakeAccepted {
  session: ClientSession;
  /** The connect request's id, which `hello-ok` answers. */
  requestId: string;
  outcome: ConnectAccepted;
  /** The device token issued or reused for this connect (device clients only). */
  deviceToken?: { token: string; createdAtMs: number; rotatedAtMs?: number };
}

/**
 * The server side of the handshake (docs/protocol.md, Handshake): the first frame must be a valid `connect`,
 * which passes the connect checks. Every refusal is answered and the connection closed here;
 * undefined then. The caller sends `hello-ok` for an accepted connect.
 */
export async function runHandshake(conn: GatewayConnection, parsed: unknown, deps: HandshakeDeps): Promise<HandshakeAccepted | undefined> {
  const loading = loadProtocolSchema();
  if (loading) {
    // The process's first connection loads the validators' schema; frames that arrive meanwhile
    // queue as they do behind a connect being checked.
    conn.phase = 'connecting';
    await loading;
    if (conn.phase !== 'connecting' || conn.closing) return undefined;
  }
  const frame = validateRequestFrame(parsed);
  if (!frame.ok) {
    conn.close(CloseCode.PolicyViolation, 'invalid request frame');
    return undefined;
  }
  const { id, method, params } = frame.value;
  if (method !== 'connect') return fail(conn, id, invalidRequest('invalid handshake: first request must be connect'));
  const checked = validateConnectParams(params);
  if (!checked.ok) return fail(conn, id, invalidRequest(`invalid connect params: ${checked.message}`));
  conn.phase = 'connecting';
  const connect = checked.value;
  let outcome;
  try {
    outcome = await runConnectChecks({
      params: connect,
      nonce: conn.nonce,
      peer: conn.transport.peer,
      now: deps.clock.now(),
      auth: deps.auth,
      controlUi: deps.controlUi,
      devices: deps.devices,
      limiter: deps.limiter,
    });
  } catch (err) {
    deps.reportError(err, 'connect checks');
    return fail(conn, id, new GatewayError('UNAVAILABLE', 'connect failed'), 'connect failed');
  }
  if (conn.phase !== 'connecting') return undefined;
  if (!outcome.ok) {
    if (outcome.pairingRequest) deps.pairingRequested(outcome.pairingRequest);
    const refusal = authRefusal(outcome.error);
    if (refusal) deps.authFailed?.(refusal);
    deps.logger.log('info', 'gateway/ws', 'connect refused', { connId: conn.connId, reason: outcome.error.message });
    return fail(conn, id, outcome.error, outcome.closeReason, outcome.closeCode);
  }

  let deviceToken: HandshakeAccepted['deviceToken'];
  if (outcome.deviceId) {
    try {
      deviceToken = await deps.devices.ensureToken(outcome.deviceId, outcome.role, outcome.scopes);
    } catch (err) {
      deps.reportError(err, 'device token');
      return fail(conn, id, new GatewayError('UNAVAILABLE', 'connect failed'), 'connect failed');
    }
    if (conn.phase !== 'connecting') return undefined;
  }
  // The secret and the device proof are checked and done with; the session outlives them.
  const { auth: _auth, device: _device, ...kept } = connect;
  const session: ClientSession = {
    connId: conn.connId,
    role: outcome.role,
    scopes: outcome.scopes,
    client: connect.client,
    deviceId: outcome.deviceId,
    peer: conn.transport.peer,
    protocol: outcome.protocol,
    connectedAtMs: deps.clock.now(),
    connect: kept,
  };
  return { session, requestId: id, outcome, deviceToken };
}

function fail(conn: GatewayConnection, id: string, error: GatewayError, reason = error.message, code: number = CloseCode.PolicyViolation): undefined {
  conn.sendRes(id, false, undefined, error);
  conn.close(code, truncateUtf8(reason || 'invalid handshake', 120));
  return undefined;
}

export interface HelloInput {
  accepted: HandshakeAccepted;
  /** Protocol 3's server block; protocol 4 keeps only version and connId, and adds `bootId`. */
  server: HelloOk['server'] & { bootId: string };
  /** As the negotiated protocol advertises them (v4 adds `capabilities`); the same object for every hello. */
  features: HelloOk['features'];
  snapshot: HelloOk['snapshot'];
  policy: HelloOk['policy'];
  canvasHostUrl?: string;
  /** Told to protocol 4 clients (`snapshot.authMode`), so a UI knows which secret to ask for. */
  authMode: NonNullable<HelloOk['snapshot']['authMode']>;
}

/**
 * The `hello-ok` answer to an accepted connect (docs/protocol.md, hello-ok), in the shape of the
 * negotiated protocol: v4 closed the server block, renamed `canvasHostUrl` to
 * `pluginSurfaceUrls.canvas`, and always sends the auth block (with every device token).
 */
export function buildHello({ accepted, server, features, snapshot, policy, canvasHostUrl, authMode }: HelloInput): HelloOk {
  const { outcome, deviceToken } = accepted;
  const v4 = outcome.protocol >= 4;
  const { version, connId, bootId, ...v3Only } = server;
  const hello: HelloOk = {
    type: 'hello-ok',
    protocol: outcome.protocol,
    server: v4 ? { version, connId, bootId } : { version, ...v3Only, connId },
    // No server capability tokens yet: each names a contract beyond what this gateway implements.
    features,
    snapshot: composePayload(v4 ? { ...snapshot, authMode } : snapshot),
    ...(canvasHostUrl ? (v4 ? { pluginSurfaceUrls: { canvas: canvasHostUrl } } : { canvasHostUrl }) : {}),
    policy,
  };
  if (deviceToken) {
    const issued = { deviceToken: deviceToken.token, role: outcome.role, scopes: outcome.scopes, issuedAtMs: deviceToken.rotatedAtMs ?? deviceToken.createdAtMs };
    hello.auth = v4 ? { ...issued, deviceTokens: [issued] } : issued;
  } else if (v4) {
    hello.auth = { role: outcome.role, scopes: outcome.scopes };
  }
  return composePayload(hello);
}

/** The presence entry a client's connect announces. */
export function presenceFromConnect(session: ClientSession): Omit<PresenceEntry, 'ts'> {
  const c = session.client;
  const entry: Omit<PresenceEntry, 'ts'> = {
    host: c.displayName ?? c.id,
    ip: session.peer.remoteAddress,
    version: c.version,
    platform: c.platform,
    deviceFamily: c.deviceFamily,
    modelIdentifier: c.modelIdentifier,
    timeZone: c.timeZone,
    mode: c.mode,
    reason: 'connect',
    deviceId: session.deviceId,
    roles: [session.role],
    scopes: [...session.scopes],
    instanceId: c.instanceId,
  };
  return { ...entry, text: presenceText(entry) };
}

/** The auth reason of a connect refusal (`token_mismatch`, `rate_limited`, ...), or undefined for another refusal. */
function authRefusal(error: GatewayError): string | undefined {
  const details = error.details as { code?: unknown; reason?: unknown } | undefined;
  if (typeof details?.code !== 'string' || !details.code.startsWith('AUTH_')) return undefined;
  return typeof details.reason === 'string' ? details.reason : details.code.slice('AUTH_'.length).toLowerCase();
}
