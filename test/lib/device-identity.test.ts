import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildDeviceAuthPayload,
  createNodeDeviceSigner,
  deriveDeviceId,
  DeviceTokenStore,
  generateDeviceIdentity,
  loadOrCreateDeviceIdentity,
  rawPublicKey,
  signDevicePayload,
  verifyDeviceSignature,
  type DeviceAuthPayloadInput,
} from '../../lib/device-identity.js';
import { GatewayError } from '../../lib/errors.js';

// RFC 8032 section 7.1, test 1.
const RFC_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const RFC_PUBLIC_HEX = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const RFC_EMPTY_SIGNATURE_HEX =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';
const RFC_PUBLIC_B64URL = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
// Computed with Python's hashlib over the raw 32 bytes, not with node:crypto.
const RFC_DEVICE_ID = '21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9';

const rfcPrivateKeyPem = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(RFC_SEED, 'hex')]),
  format: 'der',
  type: 'pkcs8',
})
  .export({ type: 'pkcs8', format: 'pem' })
  .toString();

const INPUT: DeviceAuthPayloadInput = {
  deviceId: 'dev1',
  clientId: 'cli',
  clientMode: 'cli',
  role: 'operator',
  scopes: ['operator.read', 'operator.write'],
  signedAtMs: 1700000000000,
  token: 'tok',
  nonce: 'n-1',
  platform: '  MacOS ',
  deviceFamily: 'iPhone',
};

describe('key encoding and device id', () => {
  it('derives the device id from the raw key (known answer)', () => {
    expect(deriveDeviceId(RFC_PUBLIC_B64URL)).toBe(RFC_DEVICE_ID);
    expect(rawPublicKey(RFC_PUBLIC_B64URL)?.toString('hex')).toBe(RFC_PUBLIC_HEX);
  });

  it('accepts standard base64 and PEM public keys', () => {
    const std = Buffer.from(RFC_PUBLIC_HEX, 'hex').toString('base64');
    expect(std).toContain('/');
    expect(deriveDeviceId(std)).toBe(RFC_DEVICE_ID);
    const pem = createPublicKey(rfcPrivateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
    expect(deriveDeviceId(pem)).toBe(RFC_DEVICE_ID);
  });

  it('rejects unparsable keys', () => {
    expect(rawPublicKey('')).toBeUndefined();
    expect(rawPublicKey('not a key!')).toBeUndefined();
    expect(rawPublicKey(Buffer.alloc(31).toString('base64url'))).toBeUndefined();
    expect(rawPublicKey('-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----')).toBeUndefined();
    expect(rawPublicKey(rfcPrivateKeyPem)).toBeUndefined();
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(rawPublicKey(x25519)).toBeUndefined();
  });

  it('generates identities whose fields agree', () => {
    const identity = generateDeviceIdentity(42);
    expect(identity.createdAtMs).toBe(42);
    expect(identity.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(deriveDeviceId(identity.publicKey)).toBe(identity.deviceId);
    expect(deriveDeviceId(identity.publicKeyPem)).toBe(identity.deviceId);
    expect(identity.deviceId).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('buildDeviceAuthPayload', () => {
  it('builds v1, v2 and v3 exactly', () => {
    expect(buildDeviceAuthPayload('v1', INPUT)).toBe('v1|dev1|cli|cli|operator|operator.read,operator.write|1700000000000|tok');
    expect(buildDeviceAuthPayload('v2', INPUT)).toBe(
      'v2|dev1|cli|cli|operator|operator.read,operator.write|1700000000000|tok|n-1',
    );
    expect(buildDeviceAuthPayload('v3', INPUT)).toBe(
      'v3|dev1|cli|cli|operator|operator.read,operator.write|1700000000000|tok|n-1|macos|iphone',
    );
  });

  it('uses empty fields for absent values and lowercases ASCII only', () => {
    const bare = { ...INPUT, scopes: [], token: '', nonce: undefined, platform: undefined, deviceFamily: 'ÄRM64' };
    expect(buildDeviceAuthPayload('v3', bare)).toBe('v3|dev1|cli|cli|operator||1700000000000||||Ärm64');
  });
});

describe('signatures', () => {
  it('matches the RFC 8032 signature', () => {
    expect(Buffer.from(signDevicePayload(rfcPrivateKeyPem, ''), 'base64url').toString('hex')).toBe(
      RFC_EMPTY_SIGNATURE_HEX,
    );
  });

  it('round-trips and rejects tampering', async () => {
    const identity = generateDeviceIdentity();
    const payload = buildDeviceAuthPayload('v3', { ...INPUT, deviceId: identity.deviceId });
    const signature = signDevicePayload(identity.privateKeyPem, payload);
    expect(signature).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyDeviceSignature(identity.publicKey, payload, signature)).toBe(true);
    expect(verifyDeviceSignature(identity.publicKeyPem, payload, signature)).toBe(true);
    expect(verifyDeviceSignature(identity.publicKey, `${payload}x`, signature)).toBe(false);
    expect(verifyDeviceSignature(generateDeviceIdentity().publicKey, payload, signature)).toBe(false);

    const signer = createNodeDeviceSigner(identity);
    expect(signer.deviceId).toBe(identity.deviceId);
    expect(verifyDeviceSignature(signer.publicKey, payload, await signer.sign(payload))).toBe(true);
  });

  it('accepts standard base64 signatures', () => {
    const payload = 'v2|x';
    const std = Buffer.from(signDevicePayload(rfcPrivateKeyPem, payload), 'base64url').toString('base64');
    expect(std).toMatch(/[+/=]/);
    expect(verifyDeviceSignature(RFC_PUBLIC_B64URL, payload, std)).toBe(true);
  });

  it('never throws on malformed input', () => {
    expect(verifyDeviceSignature('junk', 'p', 'sig')).toBe(false);
    expect(verifyDeviceSignature(RFC_PUBLIC_B64URL, 'p', '!!!')).toBe(false);
    expect(verifyDeviceSignature(RFC_PUBLIC_B64URL, 'p', '')).toBe(false);
    expect(verifyDeviceSignature(RFC_PUBLIC_B64URL, 'p', Buffer.alloc(64).toString('base64'))).toBe(false);
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openclaw-identity-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the identity once with mode 0600, then reads it back', async () => {
    const path = join(dir, 'identity', 'device.json');
    const created = await loadOrCreateDeviceIdentity(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(Object.keys(file).sort()).toEqual(['createdAtMs', 'deviceId', 'privateKeyPem', 'publicKeyPem', 'version']);
    expect(file.version).toBe(1);
    expect(await loadOrCreateDeviceIdentity(path)).toEqual(created);
  });

  it('refuses a corrupt identity file instead of replacing it', async () => {
    const path = join(dir, 'device.json');
    await writeFile(path, '{"version":1,');
    await expect(loadOrCreateDeviceIdentity(path)).rejects.toThrow(path);
    await expect(loadOrCreateDeviceIdentity(path)).rejects.toBeInstanceOf(GatewayError);
    expect(await readFile(path, 'utf8')).toBe('{"version":1,');

    const good = generateDeviceIdentity();
    const other = generateDeviceIdentity();
    await writeFile(path, JSON.stringify({ version: 1, ...good, publicKeyPem: other.publicKeyPem }));
    await expect(loadOrCreateDeviceIdentity(path)).rejects.toThrow(/does not match/);
    await writeFile(path, JSON.stringify({ version: 1, ...good, deviceId: other.deviceId }));
    await expect(loadOrCreateDeviceIdentity(path)).rejects.toThrow(/deviceId/);
  });

  it('stores device tokens per role and ignores other devices', async () => {
    const path = join(dir, 'identity', 'device-auth.json');
    const store = await DeviceTokenStore.load(path, 'dev-a', { now: () => 7 });
    expect(store.get('operator')).toBeUndefined();
    await Promise.all([
      store.set('operator', { token: 't1', scopes: ['operator.read'] }),
      store.set('node', { token: 't2', scopes: [] }),
    ]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      version: 1,
      deviceId: 'dev-a',
      tokens: {
        operator: { token: 't1', role: 'operator', scopes: ['operator.read'], updatedAtMs: 7 },
        node: { token: 't2', role: 'node', scopes: [], updatedAtMs: 7 },
      },
    });

    const reloaded = await DeviceTokenStore.load(path, 'dev-a');
    expect(reloaded.get('operator')).toEqual({ token: 't1', role: 'operator', scopes: ['operator.read'], updatedAtMs: 7 });
    const otherDevice = await DeviceTokenStore.load(path, 'dev-b');
    expect(otherDevice.get('operator')).toBeUndefined();
  });

  it('refuses a corrupt token file', async () => {
    const path = join(dir, 'device-auth.json');
    await writeFile(path, 'nope');
    await expect(DeviceTokenStore.load(path, 'dev-a')).rejects.toThrow(path);
  });
});

describe('loadOrCreateDeviceIdentity under concurrency', () => {
  it('gives every concurrent caller the same identity', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oc-identity-race-'));
    const path = join(dir, 'identity', 'device.json');
    const ids = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateDeviceIdentity(path)));
    expect(new Set(ids.map((i) => i.deviceId)).size).toBe(1);
    expect((await loadOrCreateDeviceIdentity(path)).deviceId).toBe(ids[0]!.deviceId);
  });
});
