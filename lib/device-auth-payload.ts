// No imports on purpose: the browser-safe client builds and signs payloads with this file alone.

/**
 * Signs device-auth payloads (base64url Ed25519). The browser-safe client only sees this, never
 * key material: Node hosts use `createNodeDeviceSigner`, browsers can wrap WebCrypto.
 */
export interface DeviceSigner {
  deviceId: string;
  /** Raw 32-byte public key, base64url without padding. */
  publicKey: string;
  sign(payload: string): Promise<string>;
}

export type DeviceAuthPayloadVersion = 'v1' | 'v2' | 'v3';

/**
 * What a device signature covers (docs/protocol.md, Device identity). `scopes` are the scopes as
 * sent, not defaulted.
 */
export interface DeviceAuthPayloadInput {
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  signedAtMs: number;
  /** `connect.params.auth.token`, or "" when none was sent. */
  token: string;
  nonce?: string;
  platform?: string;
  deviceFamily?: string;
}

/** The `|`-joined string a device signs: v1 (legacy, no nonce), v2 (+nonce), v3 (+platform, deviceFamily). */
export function buildDeviceAuthPayload(version: DeviceAuthPayloadVersion, input: DeviceAuthPayloadInput): string {
  const fields = [
    version,
    input.deviceId,
    input.clientId,
    input.clientMode,
    input.role,
    input.scopes.join(','),
    String(input.signedAtMs),
    input.token,
  ];
  if (version !== 'v1') fields.push(input.nonce ?? '');
  if (version === 'v3') fields.push(normalizeMetadata(input.platform), normalizeMetadata(input.deviceFamily));
  return fields.join('|');
}

// ASCII-only lowercasing: locale-aware or Unicode case mapping could differ between signer and verifier.
function normalizeMetadata(value: string | undefined): string {
  return (value ?? '').trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
}
