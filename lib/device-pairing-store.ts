import { randomUUID, timingSafeEqual } from 'node:crypto';
import { GatewayError, invalidRequest } from './errors.js';
import type { DevicePairingRequest, DeviceTokenView, PairedDevice } from './protocol/generated/types.js';
import type { Storage } from './storage.js';

export const PENDING_TTL_MS = 5 * 60_000;
const PENDING_KEY = 'devices/pending.json';
const PAIRED_KEY = 'devices/paired.json';

export interface DeviceTokenRecord {
  token: string;
  role: string;
  scopes: string[];
  createdAtMs: number;
  rotatedAtMs?: number;
  revokedAtMs?: number;
}

export interface PairedDeviceRecord extends Omit<PairedDevice, 'tokens'> {
  tokens: Record<string, DeviceTokenRecord>;
}

export type PairingInput = Omit<DevicePairingRequest, 'requestId' | 'ts' | 'isRepair'>;

export interface DevicePairingStoreOptions {
  storage: Storage;
  now: () => number;
}

/**
 * Devices waiting for approval and devices already paired, with their per-role tokens.
 * Every change is written before it takes effect in memory, so a failed write (full disk)
 * changes nothing and the caller gets the error.
 */
export class DevicePairingStore {
  readonly #storage: Storage;
  readonly #now: () => number;
  #pending: Record<string, DevicePairingRequest> = {};
  #paired: Record<string, PairedDeviceRecord> = {};
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: DevicePairingStoreOptions) {
    this.#storage = options.storage;
    this.#now = options.now;
  }

  async load(): Promise<void> {
    this.#pending = await this.#readMap<DevicePairingRequest>(PENDING_KEY);
    this.#paired = await this.#readMap<PairedDeviceRecord>(PAIRED_KEY);
  }

  listPending(): DevicePairingRequest[] {
    const cutoff = this.#now() - PENDING_TTL_MS;
    return Object.values(this.#pending)
      .filter((r) => r.ts >= cutoff)
      .sort((a, b) => b.ts - a.ts);
  }

  listPaired(): PairedDevice[] {
    return Object.values(this.#paired)
      .sort((a, b) => b.approvedAtMs - a.approvedAtMs)
      .map(toView);
  }

  getPaired(deviceId: string): PairedDeviceRecord | undefined {
    return this.#paired[deviceId];
  }

  /** Whether the device is paired for this role with every requested scope. */
  isPairedFor(deviceId: string, role: string, scopes: readonly string[]): boolean {
    const device = this.#paired[deviceId];
    if (!device || !device.roles.includes(role)) return false;
    return scopesCovered(device.scopes, scopes);
  }

  /** One pending request per device: a repeat updates it (and its timestamp) instead of adding one. */
  requestPairing(input: PairingInput): Promise<{ request: DevicePairingRequest; created: boolean }> {
    return this.#mutate(({ pending }) => {
      const existing = this.#livePendingFor(pending, input.deviceId);
      const request: DevicePairingRequest = stripUndefined({
        ...input,
        requestId: existing?.requestId ?? randomUUID(),
        isRepair: Boolean(this.#paired[input.deviceId]),
        ts: this.#now(),
      });
      pending[request.requestId] = request;
      return { request, created: !existing };
    });
  }

  approve(requestId: string): Promise<PairedDevice> {
    return this.#mutate(({ pending, paired }) => {
      const request = this.#livePending(pending, requestId);
      delete pending[requestId];
      const now = this.#now();
      const previous = paired[request.deviceId];
      const requestedRoles = request.roles ?? (request.role ? [request.role] : []);
      const device: PairedDeviceRecord = stripUndefined({
        deviceId: request.deviceId,
        publicKey: request.publicKey,
        displayName: request.displayName ?? previous?.displayName,
        platform: request.platform ?? previous?.platform,
        clientId: request.clientId ?? previous?.clientId,
        clientMode: request.clientMode ?? previous?.clientMode,
        role: request.role ?? previous?.role,
        roles: union(previous?.roles ?? [], requestedRoles),
        scopes: union(previous?.scopes ?? [], request.scopes ?? []),
        remoteIp: request.remoteIp ?? previous?.remoteIp,
        createdAtMs: previous?.createdAtMs ?? now,
        approvedAtMs: now,
        tokens: previous?.tokens ?? {},
      });
      paired[device.deviceId] = device;
      return toView(device);
    });
  }

  reject(requestId: string): Promise<{ requestId: string; deviceId: string }> {
    return this.#mutate(({ pending }) => {
      const request = this.#livePending(pending, requestId);
      delete pending[requestId];
      return { requestId, deviceId: request.deviceId };
    });
  }

  /**
   * The device's token for `role`: reused while it is live and covers `scopes`, else a new one.
   */
  ensureToken(deviceId: string, role: string, scopes: readonly string[]): Promise<DeviceTokenRecord> {
    const current = this.#paired[deviceId]?.tokens[role];
    if (current && current.revokedAtMs === undefined && scopesCovered(current.scopes, scopes)) {
      return Promise.resolve(current);
    }
    return this.#mutate(({ paired }) => {
      const device = paired[deviceId];
      if (!device) throw invalidRequest('unknown deviceId');
      const record: DeviceTokenRecord = { token: newToken(), role, scopes: [...scopes], createdAtMs: this.#now() };
      device.tokens[role] = record;
      return record;
    });
  }

  /** Constant-time check of a presented device token for (device, role, scopes). */
  verifyToken(deviceId: string, role: string, token: string, scopes: readonly string[]): boolean {
    const record = this.#paired[deviceId]?.tokens[role];
    if (!record || record.revokedAtMs !== undefined) return false;
    if (!safeEqual(record.token, token)) return false;
    return scopesCovered(record.scopes, scopes);
  }

  rotate(deviceId: string, role: string, scopes?: string[]): Promise<DeviceTokenRecord> {
    return this.#mutate(({ paired }) => {
      const device = paired[deviceId];
      if (!device) throw invalidRequest('unknown deviceId');
      const previous = device.tokens[role];
      if (!previous && !device.roles.includes(role)) throw invalidRequest(`device is not paired for role ${role}`);
      const now = this.#now();
      const record: DeviceTokenRecord = {
        token: newToken(),
        role,
        scopes: scopes ?? previous?.scopes ?? device.scopes,
        createdAtMs: previous?.createdAtMs ?? now,
        rotatedAtMs: now,
      };
      device.tokens[role] = record;
      return record;
    });
  }

  revoke(deviceId: string, role: string): Promise<{ deviceId: string; role: string; revokedAtMs: number }> {
    return this.#mutate(({ paired }) => {
      const record = paired[deviceId]?.tokens[role];
      if (!record) throw invalidRequest('unknown device token');
      record.revokedAtMs = this.#now();
      return { deviceId, role, revokedAtMs: record.revokedAtMs };
    });
  }

  #livePendingFor(pending: Record<string, DevicePairingRequest>, deviceId: string): DevicePairingRequest | undefined {
    const cutoff = this.#now() - PENDING_TTL_MS;
    return Object.values(pending).find((r) => r.deviceId === deviceId && r.ts >= cutoff);
  }

  #livePending(pending: Record<string, DevicePairingRequest>, requestId: string): DevicePairingRequest {
    const request = pending[requestId];
    if (!request || request.ts < this.#now() - PENDING_TTL_MS) throw invalidRequest('unknown requestId');
    return request;
  }

  /**
   * Serialises mutations: each works on copies, both files are written, and only then do the
   * copies replace the live state. Expired requests are dropped on the way.
   */
  #mutate<T>(change: (state: { pending: Record<string, DevicePairingRequest>; paired: Record<string, PairedDeviceRecord> }) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const cutoff = this.#now() - PENDING_TTL_MS;
      const pending = structuredClone(this.#pending);
      for (const [id, r] of Object.entries(pending)) if (r.ts < cutoff) delete pending[id];
      const paired = structuredClone(this.#paired);
      const result = change({ pending, paired });
      try {
        await this.#storage.write(PENDING_KEY, JSON.stringify(pending, null, 2));
        await this.#storage.write(PAIRED_KEY, JSON.stringify(paired, null, 2));
      } catch (err) {
        throw new GatewayError('UNAVAILABLE', `device pairing store write failed: ${(err as Error).message}`, { cause: err });
      }
      this.#pending = pending;
      this.#paired = paired;
      return result;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #readMap<T>(key: string): Promise<Record<string, T>> {
    const text = await this.#storage.read(key);
    if (text === undefined || text.trim() === '') return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      return value as Record<string, T>;
    } catch (err) {
      const where = this.#storage.locate?.(key) ?? key;
      throw new GatewayError('CONFIG_INVALID', `device pairing state ${where} is unreadable: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** `operator.admin` covers every operator scope; otherwise each requested scope must be granted. */
export function scopesCovered(granted: readonly string[], requested: readonly string[]): boolean {
  if (granted.includes('operator.admin')) return requested.every((s) => s.startsWith('operator.'));
  return requested.every((s) => granted.includes(s));
}

function toView(device: PairedDeviceRecord): PairedDevice {
  const tokens: DeviceTokenView[] = Object.values(device.tokens).map(({ token: _token, ...rest }) => rest);
  return { ...device, tokens };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function newToken(): string {
  return randomUUID().replaceAll('-', '');
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}

function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
