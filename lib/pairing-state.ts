import { randomUUID } from 'node:crypto';
import { GatewayError, invalidRequest } from './errors.js';
import type { Storage } from './storage.js';

/** Pairing requests nobody answered expire after five minutes (docs/protocol.md, Device pairing and device tokens). */
export const PENDING_TTL_MS = 5 * 60_000;

export interface PairingStateOptions<P = unknown> {
  storage: Storage;
  now: () => number;
  /** Storage keys of the two maps, e.g. `devices/pending.json` and `devices/paired.json`. */
  pendingKey: string;
  pairedKey: string;
  /** Names the store in error messages ("device pairing"). */
  label: string;
  ttlMs?: number;
  /** Requests a mutation found expired and dropped, once that change is on disk. */
  onExpired?: (requests: P[]) => void;
}

export interface PairingMaps<P, D> {
  pending: Record<string, P>;
  paired: Record<string, D>;
}

/**
 * The state behind a pairing store: pending requests (requestId -> request) and paired entries
 * (id -> entry), each a JSON map in its own storage file. Mutations run one at a time on copies;
 * the files that changed are written, and only then do the copies become the live state, so a
 * failed write (full disk) changes nothing. Expired requests are dropped on the way.
 *
 * On shared storage (a cluster store, which has `compareAndSet` and `onExternalChange`) several
 * processes keep the same maps: a mutation reads both fresh, writes each only if it still holds
 * what was read (else it runs again on the newer state, so no process loses another's update),
 * and another process's change reloads the live state as soon as its notice arrives.
 */
export class PairingState<P extends { ts: number }, D> {
  readonly #options: PairingStateOptions<P>;
  readonly #ttlMs: number;
  #pending: Record<string, P> = emptyMap();
  #paired: Record<string, D> = emptyMap();
  /** What each file holds now, so an unchanged map is not rewritten. */
  readonly #onDisk = new Map<string, string>();
  #queue: Promise<unknown> = Promise.resolve();
  readonly #shared: boolean;

  constructor(options: PairingStateOptions<P>) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? PENDING_TTL_MS;
    const { storage } = options;
    this.#shared = typeof storage.compareAndSet === 'function' && typeof storage.onExternalChange === 'function';
    storage.onExternalChange?.((key) => {
      if (key === '*' || key === options.pendingKey || key === options.pairedKey) this.#reload();
    });
  }

  /** Live state; read it, change it only through `mutate`. */
  get pending(): Readonly<Record<string, P>> {
    return this.#pending;
  }

  get paired(): Readonly<Record<string, D>> {
    return this.#paired;
  }

  async load(): Promise<void> {
    this.#pending = await this.#readMap<P>(this.#options.pendingKey);
    this.#paired = await this.#readMap<D>(this.#options.pairedKey);
  }

  isLive(request: P): boolean {
    return request.ts >= this.#options.now() - this.#ttlMs;
  }

  /** Unexpired requests, newest first. */
  livePending(): P[] {
    return Object.values(this.#pending)
      .filter((r) => this.isLive(r))
      .sort((a, b) => b.ts - a.ts);
  }

  /**
   * Runs `change` on copies of both maps, after every earlier mutation. The paired map is written
   * before the pending one: a crash between the two leaves a request to approve again, never an
   * approval that lost its entry.
   */
  mutate<T>(change: (maps: PairingMaps<P, D>) => T): Promise<T> {
    const run = async (attempt = 0): Promise<T> => {
      if (this.#shared) await this.load();
      const pending = asMap(structuredClone(this.#pending));
      const expired: P[] = [];
      for (const [id, r] of Object.entries(pending)) {
        if (this.isLive(r)) continue;
        expired.push(r);
        delete pending[id];
      }
      const paired = asMap(structuredClone(this.#paired));
      const result = change({ pending, paired });
      try {
        await this.#writeIfChanged(this.#options.pairedKey, paired);
        await this.#writeIfChanged(this.#options.pendingKey, pending);
      } catch (err) {
        if (err === LOST_RACE && attempt < MAX_RACES) return run(attempt + 1);
        if (err === LOST_RACE) throw new GatewayError('UNAVAILABLE', `${this.#options.label} store is busy: too many concurrent changes, try again`, { retryable: true });
        throw new GatewayError('UNAVAILABLE', `${this.#options.label} store write failed: ${(err as Error).message}`, { cause: err });
      }
      this.#pending = pending;
      this.#paired = paired;
      if (expired.length) this.#options.onExpired?.(expired);
      return result;
    };
    const next = this.#queue.then(() => run(), () => run());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Another process changed a map: reload both, in turn with the mutations (a failed read keeps what we had). */
  #reload(): void {
    this.#queue = this.#queue.then(() => this.load()).catch(() => undefined);
  }

  async #writeIfChanged(key: string, map: object): Promise<void> {
    const text = JSON.stringify(map, null, 2);
    if (this.#onDisk.get(key) === text) return;
    const { storage } = this.#options;
    if (this.#shared) {
      if (!(await storage.compareAndSet!(key, this.#onDisk.get(key), text))) throw LOST_RACE;
    } else {
      await storage.write(key, text);
    }
    this.#onDisk.set(key, text);
  }

  async #readMap<T>(key: string): Promise<Record<string, T>> {
    const { storage, label } = this.#options;
    const text = await storage.read(key);
    if (text === undefined) this.#onDisk.delete(key);
    else if (text.trim() === '') this.#onDisk.set(key, text);
    if (text === undefined || text.trim() === '') return emptyMap();
    try {
      const value = JSON.parse(text) as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      this.#onDisk.set(key, text);
      return asMap(value as Record<string, T>);
    } catch (err) {
      const where = storage.locate?.(key) ?? key;
      throw new GatewayError('CONFIG_INVALID', `${label} state ${where} is unreadable: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** A shared-storage write found the key changed since it was read; the mutation runs again. */
const LOST_RACE = Symbol('lost race');
const MAX_RACES = 8;

/**
 * Ids (node ids, roles) come from clients: maps keyed by them have no prototype, so `constructor`
 * or `__proto__` are ordinary keys instead of inherited members or a prototype swap.
 */
export function asMap<T>(value: Record<string, T>): Record<string, T> {
  return Object.setPrototypeOf(value, null) as Record<string, T>;
}

function emptyMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Removes a request from the (already expiry-filtered) pending map of a mutation and returns it. */
export function takePending<P>(pending: Record<string, P>, requestId: string): P {
  const request = pending[requestId];
  if (!request) throw invalidRequest('unknown requestId');
  delete pending[requestId];
  return request;
}

/** A pairing or device token: a uuid without dashes (32 hex). */
export function newPairingToken(): string {
  return randomUUID().replaceAll('-', '');
}

/** Drops keys whose value is undefined, so stored entries hold only fields that were given. */
export function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}
