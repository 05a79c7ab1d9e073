import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DeviceSigner } from './device-auth-payload.js';
import { GatewayError } from './errors.js';
import { createAtomic, writeAtomic } from './file-storage.js';

export { buildDeviceAuthPayload } from './device-auth-payload.js';
export type { DeviceAuthPayloadInput, DeviceAuthPayloadVersion, DeviceSigner } from './device-auth-payload.js';

/** An Ed25519 device key pair as OpenClaw clients keep it (docs/protocol.md, Device identity). */
export interface DeviceIdentity {
  /** Lowercase hex SHA-256 of the raw public key. */
  deviceId: string;
  /** Raw 32-byte public key, base64url without padding: what `connect.params.device.publicKey` carries. */
  publicKey: string;
  publicKeyPem: string;
  privateKeyPem: string;
  createdAtMs: number;
}

// DER header of an Ed25519 SubjectPublicKeyInfo; the raw key is the 32 bytes after it.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const RAW_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

export function generateDeviceIdentity(now: number = Date.now()): DeviceIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return identityFromKeys(publicKey, privateKey, now);
}

/** The raw 32-byte key from base64url/base64 raw bytes or a PEM SPKI; undefined when unparsable. */
export function rawPublicKey(publicKey: string): Buffer | undefined {
  const text = publicKey.trim();
  if (text.startsWith('-----BEGIN PUBLIC KEY-----')) {
    try {
      const key = createPublicKey(text);
      return key.asymmetricKeyType === 'ed25519' ? rawFromKeyObject(key) : undefined;
    } catch {
      return undefined;
    }
  }
  const raw = decodeBase64(text);
  return raw?.length === RAW_KEY_BYTES ? raw : undefined;
}

export function deriveDeviceId(publicKey: string): string | undefined {
  const raw = rawPublicKey(publicKey);
  return raw && sha256Hex(raw);
}

/** Ed25519 signature over the UTF-8 payload, base64url without padding. */
export function signDevicePayload(privateKeyPem: string, payload: string): string {
  return signWith(createPrivateKey(privateKeyPem), payload);
}

/** Accepts base64url or standard base64 signatures; any malformed input is simply "not valid". */
export function verifyDeviceSignature(publicKey: string, payload: string, signature: string): boolean {
  const raw = rawPublicKey(publicKey);
  const sig = decodeBase64(signature.trim());
  if (!raw || sig?.length !== SIGNATURE_BYTES) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(payload, 'utf8'), key, sig);
  } catch {
    return false;
  }
}

export function createNodeDeviceSigner(identity: DeviceIdentity): DeviceSigner {
  const key = createPrivateKey(identity.privateKeyPem);
  return {
    deviceId: identity.deviceId,
    publicKey: identity.publicKey,
    sign: async (payload) => signWith(key, payload),
  };
}

/**
 * Reads the identity file (`{version:1, deviceId, publicKeyPem, privateKeyPem, createdAtMs}`), or
 * creates it (0600) when missing. A file that exists but does not parse is an error, never
 * replaced: a new key would silently unpair the device.
 */
export async function loadOrCreateDeviceIdentity(path: string): Promise<DeviceIdentity> {
  const text = await readOptional(path);
  if (text !== undefined) return parseIdentityFile(path, text);
  const identity = generateDeviceIdentity();
  const { deviceId, publicKeyPem, privateKeyPem, createdAtMs } = identity;
  const fileText = `${JSON.stringify({ version: 1, deviceId, publicKeyPem, privateKeyPem, createdAtMs }, null, 2)}\n`;
  // Several CLI processes may start at once on a fresh host: the first file wins, the rest read it.
  if (await createAtomic(path, fileText)) return identity;
  return parseIdentityFile(path, (await readOptional(path)) ?? '');
}

export interface DeviceTokenEntry {
  token: string;
  role: string;
  scopes: string[];
  updatedAtMs: number;
}

export interface DeviceTokenStoreOptions {
  now?: () => number;
}

/**
 * Device tokens issued by a gateway (`hello-ok.auth.deviceToken`), one per role, in
 * `identity/device-auth.json`. Tokens recorded for another device id are ignored, and the next
 * `set` replaces them.
 */
export class DeviceTokenStore {
  readonly path: string;
  readonly deviceId: string;
  readonly #tokens: Map<string, DeviceTokenEntry>;
  readonly #now: () => number;
  /** Writes run one after another so the file always ends with the latest state. */
  #writes: Promise<void> = Promise.resolve();

  private constructor(path: string, deviceId: string, tokens: Map<string, DeviceTokenEntry>, now: () => number) {
    this.path = path;
    this.deviceId = deviceId;
    this.#tokens = tokens;
    this.#now = now;
  }

  static async load(path: string, deviceId: string, options: DeviceTokenStoreOptions = {}): Promise<DeviceTokenStore> {
    const text = await readOptional(path);
    const tokens = text === undefined ? new Map<string, DeviceTokenEntry>() : parseTokenFile(path, text, deviceId);
    return new DeviceTokenStore(path, deviceId, tokens, options.now ?? Date.now);
  }

  get(role: string): DeviceTokenEntry | undefined {
    const entry = this.#tokens.get(role);
    return entry && { ...entry, scopes: [...entry.scopes] };
  }

  set(role: string, value: { token: string; scopes: string[] }): Promise<void> {
    this.#tokens.set(role, { token: value.token, role, scopes: [...value.scopes], updatedAtMs: this.#now() });
    const write = this.#writes.catch(() => undefined).then(() => writeAtomic(this.path, this.#serialize()));
    this.#writes = write;
    return write;
  }

  #serialize(): string {
    const tokens = Object.fromEntries(this.#tokens);
    return `${JSON.stringify({ version: 1, deviceId: this.deviceId, tokens }, null, 2)}\n`;
  }
}

function identityFromKeys(publicKey: KeyObject, privateKey: KeyObject, createdAtMs: number): DeviceIdentity {
  const raw = rawFromKeyObject(publicKey);
  return {
    deviceId: sha256Hex(raw),
    publicKey: raw.toString('base64url'),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAtMs,
  };
}

function parseIdentityFile(path: string, text: string): DeviceIdentity {
  const data = parseJsonObject(path, text);
  const { version, deviceId, publicKeyPem, privateKeyPem, createdAtMs } = data;
  if (version !== 1) throw corrupt(path, `unsupported version ${JSON.stringify(version)}`);
  if (typeof publicKeyPem !== 'string' || typeof privateKeyPem !== 'string' || typeof createdAtMs !== 'number') {
    throw corrupt(path, 'publicKeyPem, privateKeyPem and createdAtMs are required');
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw corrupt(path, 'privateKeyPem does not parse', err);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw corrupt(path, 'privateKeyPem is not an Ed25519 key');
  // The stored public half and id must belong to the private key, or every signature would fail.
  const identity = identityFromKeys(createPublicKey(privateKey), privateKey, createdAtMs);
  if (!rawPublicKey(publicKeyPem)?.equals(Buffer.from(identity.publicKey, 'base64url'))) {
    throw corrupt(path, 'publicKeyPem does not match privateKeyPem');
  }
  if (deviceId !== identity.deviceId) throw corrupt(path, 'deviceId does not match the key');
  return { ...identity, publicKeyPem, privateKeyPem };
}

function parseTokenFile(path: string, text: string, deviceId: string): Map<string, DeviceTokenEntry> {
  const data = parseJsonObject(path, text);
  if (data.version !== 1) throw corrupt(path, `unsupported version ${JSON.stringify(data.version)}`);
  if (!isObject(data.tokens)) throw corrupt(path, 'tokens must be an object');
  const tokens = new Map<string, DeviceTokenEntry>();
  if (data.deviceId !== deviceId) return tokens;
  for (const [role, entry] of Object.entries(data.tokens)) {
    if (!isObject(entry) || typeof entry.token !== 'string' || !isStringArray(entry.scopes)) {
      throw corrupt(path, `token entry for role ${JSON.stringify(role)} is malformed`);
    }
    const updatedAtMs = typeof entry.updatedAtMs === 'number' ? entry.updatedAtMs : 0;
    tokens.set(role, { token: entry.token, role, scopes: entry.scopes, updatedAtMs });
  }
  return tokens;
}

function parseJsonObject(path: string, text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, 'not valid JSON', err);
  }
  if (!isObject(data)) throw corrupt(path, 'expected a JSON object');
  return data;
}

function corrupt(path: string, problem: string, cause?: unknown): GatewayError {
  return new GatewayError('CONFIG_INVALID', `corrupt file ${path}: ${problem}`, { details: { path }, cause });
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function rawFromKeyObject(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' }).subarray(ED25519_SPKI_PREFIX.length);
}

// Both alphabets are accepted because peers differ; Buffer's decoder alone would skip bad characters.
function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function signWith(key: KeyObject, payload: string): string {
  return sign(null, Buffer.from(payload, 'utf8'), key).toString('base64url');
}

function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === 'string');
}
