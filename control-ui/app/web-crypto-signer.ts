import type { DeviceSigner } from '../../lib/client/index.js';
import type { IdbStore } from './idb-store.js';

const RECORD_KEY = 'device-identity';

interface StoredIdentity {
  version: 1;
  deviceId: string;
  publicKey: string;
  keyPair: CryptoKeyPair;
  createdAtMs: number;
  /** `hello-ok.auth.deviceToken`: lets this browser reconnect without the shared token. */
  deviceToken?: string;
}

/**
 * The browser's device identity (docs/protocol.md, Device identity): an Ed25519 key pair made by WebCrypto with a
 * non-extractable private key, kept in IndexedDB. Device id = hex SHA-256 of the raw public key.
 */
export class WebCryptoDeviceSigner implements DeviceSigner {
  readonly deviceId: string;
  readonly publicKey: string;
  readonly #record: StoredIdentity;
  readonly #store: IdbStore;

  private constructor(record: StoredIdentity, store: IdbStore) {
    this.deviceId = record.deviceId;
    this.publicKey = record.publicKey;
    this.#record = record;
    this.#store = store;
  }

  /** WebCrypto Ed25519 needs a secure context (HTTPS or localhost) and a recent browser. */
  static supported(): boolean {
    return globalThis.isSecureContext === true && globalThis.crypto?.subtle !== undefined;
  }

  /** Loads the stored identity, or creates and stores one. Rejects where Ed25519 is unavailable. */
  static async load(store: IdbStore): Promise<WebCryptoDeviceSigner> {
    const stored = await store.get<StoredIdentity>(RECORD_KEY);
    if (stored?.version === 1 && stored.keyPair?.privateKey) return new WebCryptoDeviceSigner(stored, store);
    const keyPair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const raw = new Uint8Array(await crypto.subtle.exportKey('raw', keyPair.publicKey));
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', raw));
    const record: StoredIdentity = {
      version: 1,
      deviceId: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
      publicKey: base64Url(raw),
      keyPair,
      createdAtMs: Date.now(),
    };
    await store.set(RECORD_KEY, record);
    return new WebCryptoDeviceSigner(record, store);
  }

  get deviceToken(): string | undefined {
    return this.#record.deviceToken;
  }

  async saveDeviceToken(token: string | undefined): Promise<void> {
    this.#record.deviceToken = token;
    await this.#store.set(RECORD_KEY, this.#record);
  }

  async sign(payload: string): Promise<string> {
    const signature = await crypto.subtle.sign({ name: 'Ed25519' }, this.#record.keyPair.privateKey, new TextEncoder().encode(payload));
    return base64Url(new Uint8Array(signature));
  }
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
