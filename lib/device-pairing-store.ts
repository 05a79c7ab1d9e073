import { randomUUID } from 'node:crypto';
import { invalidRequest } from './errors.js';
import { grantError } from './method-access.js';
import { newPairingToken, PairingState, stripUndefined, takePending } from './pairing-state.js';
import type { DevicePairingRequest, DeviceTokenView, PairedDevice } from './protocol/generated/types.js';
import { safeEqual } from './safe-equal.js';
import type { Storage } from './storage.js';

export { PENDING_TTL_MS } from './pairing-state.js';

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

export interface GrantOptions {
  /** The scopes of the client doing this; it may grant none beyond them. Omitted: in-process, full rights. */
  grantor?: readonly string[];
}

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
  readonly #now: () => number;
  readonly #state: PairingState<DevicePairingRequest, PairedDeviceRecord>;

  constructor(options: DevicePairingStoreOptions) {
    this.#now = options.now;
    this.#state = new PairingState({
      storage: options.storage,
      now: options.now,
      pendingKey: 'devices/pending.json',
      pairedKey: 'devices/paired.json',
      label: 'device pairing',
    });
  }

  load(): Promise<void> {
    return this.#state.load();
  }

  listPending(): DevicePairingRequest[] {
    return this.#state.livePending();
  }

  listPaired(): PairedDevice[] {
    return Object.values(this.#state.paired)
      .sort((a, b) => b.approvedAtMs - a.approvedAtMs)
      .map(toView);
  }

  getPaired(deviceId: string): PairedDeviceRecord | undefined {
    return this.#state.paired[deviceId];
  }

  /** Whether the device is paired for this role with every requested scope. */
  isPairedFor(deviceId: string, role: string, scopes: readonly string[]): boolean {
    const device = this.#state.paired[deviceId];
    if (!device || !device.roles.includes(role)) return false;
    return scopesCovered(device.scopes, scopes);
  }

  /**
   * One pending request per device: a repeat asking for the same access updates it (and its
   * timestamp). One asking for other access replaces it under a new id, so an operator approving
   * the id they reviewed never grants what the device asked for afterwards.
   */
  requestPairing(input: PairingInput): Promise<{ request: DevicePairingRequest; created: boolean }> {
    return this.#state.mutate(({ pending, paired }) => {
      const existing = Object.values(pending).find((r) => r.deviceId === input.deviceId);
      const same = existing !== undefined && sameAccess(existing, input);
      if (existing && !same) delete pending[existing.requestId];
      const request: DevicePairingRequest = stripUndefined({
        ...input,
        requestId: same ? existing.requestId : randomUUID(),
        isRepair: Boolean(paired[input.deviceId]),
        ts: this.#now(),
      });
      pending[request.requestId] = request;
      return { request, created: !same };
    });
  }

  approve(requestId: string, options: GrantOptions = {}): Promise<PairedDevice> {
    return this.#state.mutate(({ pending, paired }) => {
      const waiting = Object.hasOwn(pending, requestId) ? pending[requestId] : undefined;
      const refused = waiting && options.grantor && grantError(options.grantor, waiting.scopes ?? []);
      if (refused) throw invalidRequest(refused);
      const request = takePending(pending, requestId);
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

  /** Sets a paired device's display name (`node.rename`); undefined when it is not paired. */
  async rename(deviceId: string, displayName: string): Promise<PairedDevice | undefined> {
    if (!this.#state.paired[deviceId]) return undefined;
    return this.#state.mutate(({ paired }) => {
      const device = paired[deviceId];
      if (!device) return undefined;
      device.displayName = displayName;
      return toView(device);
    });
  }

  reject(requestId: string): Promise<{ requestId: string; deviceId: string }> {
    return this.#state.mutate(({ pending }) => {
      const request = takePending(pending, requestId);
      return { requestId, deviceId: request.deviceId };
    });
  }

  /**
   * The device's token for `role`: reused while it is live and covers `scopes`, else a new one.
   */
  ensureToken(deviceId: string, role: string, scopes: readonly string[]): Promise<DeviceTokenRecord> {
    const usable = (token: DeviceTokenRecord | undefined) =>
      token && token.revokedAtMs === undefined && scopesCovered(token.scopes, scopes) ? token : undefined;
    const current = usable(tokenOf(this.#state.paired[deviceId], role));
    if (current) return Promise.resolve(current);
    return this.#state.mutate(({ paired }) => {
      const device = paired[deviceId];
      if (!device) throw invalidRequest('unknown deviceId');
      // A concurrent connect of the same device may have issued one since; replacing it would
      // invalidate the token that connect just handed out.
      const issued = usable(tokenOf(device, role));
      if (issued) return issued;
      const record: DeviceTokenRecord = { token: newPairingToken(), role, scopes: [...scopes], createdAtMs: this.#now() };
      device.tokens[role] = record;
      return record;
    });
  }

  /** Constant-time check of a presented device token for (device, role, scopes). */
  verifyToken(deviceId: string, role: string, token: string, scopes: readonly string[]): boolean {
    const record = tokenOf(this.#state.paired[deviceId], role);
    if (!record || record.revokedAtMs !== undefined) return false;
    if (!safeEqual(record.token, token)) return false;
    return scopesCovered(record.scopes, scopes);
  }

  /** A new token for (device, role); its scopes default to the old token's, then to the device's. */
  rotate(deviceId: string, role: string, scopes?: string[], options: GrantOptions = {}): Promise<DeviceTokenRecord> {
    return this.#state.mutate(({ paired }) => {
      const device = Object.hasOwn(paired, deviceId) ? paired[deviceId] : undefined;
      if (!device) throw invalidRequest('unknown deviceId');
      const previous = tokenOf(device, role);
      if (!previous && !device.roles.includes(role)) throw invalidRequest(`device is not paired for role ${role}`);
      const granted = [...(scopes ?? previous?.scopes ?? device.scopes)];
      // The caller receives the token value, so minting one is granting its scopes.
      const refused = options.grantor && grantError(options.grantor, granted);
      if (refused) throw invalidRequest(refused);
      const now = this.#now();
      const record: DeviceTokenRecord = {
        token: newPairingToken(),
        role,
        scopes: granted,
        createdAtMs: previous?.createdAtMs ?? now,
        rotatedAtMs: now,
      };
      device.tokens[role] = record;
      return record;
    });
  }

  revoke(deviceId: string, role: string): Promise<{ deviceId: string; role: string; revokedAtMs: number }> {
    return this.#state.mutate(({ paired }) => {
      const record = tokenOf(paired[deviceId], role);
      if (!record) throw invalidRequest('unknown device token');
      record.revokedAtMs = this.#now();
      return { deviceId, role, revokedAtMs: record.revokedAtMs };
    });
  }
}

/** `operator.admin` covers every operator scope; otherwise each requested scope must be granted. */
export function scopesCovered(granted: readonly string[], requested: readonly string[]): boolean {
  if (granted.includes('operator.admin')) return requested.every((s) => s.startsWith('operator.'));
  return requested.every((s) => granted.includes(s));
}

/** Roles are client input: only the device's own entries count, never inherited members. */
function tokenOf(device: PairedDeviceRecord | undefined, role: string): DeviceTokenRecord | undefined {
  return device && Object.hasOwn(device.tokens, role) ? device.tokens[role] : undefined;
}

function toView(device: PairedDeviceRecord): PairedDevice {
  const tokens: DeviceTokenView[] = Object.values(device.tokens).map(({ token: _token, ...rest }) => rest);
  return { ...device, tokens };
}

function sameAccess(request: DevicePairingRequest, input: PairingInput): boolean {
  // Scopes are client input of any length: compare through a Set, never pairwise.
  const sameSet = (a: readonly string[] = [], b: readonly string[] = []) => {
    const left = new Set(a);
    const right = new Set(b);
    return left.size === right.size && [...left].every((x) => right.has(x));
  };
  return request.publicKey === input.publicKey && request.role === input.role && sameSet(request.roles, input.roles) && sameSet(request.scopes, input.scopes);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

