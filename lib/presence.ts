import type { PresenceEntry } from './protocol/generated/types.js';
import { truncateUtf8 } from './truncate-utf8.js';

/** Longest string field of an entry (UTF-8 bytes); `text` may be longer. */
const MAX_FIELD_BYTES = 256;
const MAX_TEXT_BYTES = 2048;
const MAX_LIST_ITEMS = 32;

export interface PresenceStoreOptions {
  now: () => number;
  /** Entries not refreshed for this long disappear. */
  ttlMs?: number;
  /** Hard cap; the stalest entries go first. */
  maxEntries?: number;
  /**
   * Budget of the whole list as JSON (characters), the gateway's own entry aside: the list goes
   * into every `hello-ok` and every `presence` event, so it must not grow with what clients send.
   * The stalest entries go first. Default 128 KiB.
   */
  maxBytes?: number;
  /** The gateway's own entry, always listed and never expired. */
  self: () => PresenceEntry;
  /** Called after every upsert (connects, leaves, beacons), so the owner can announce the list. */
  onChange?: () => void;
}

/**
 * Who is around: one entry per device / instance / connection, keyed case-insensitively, plus the
 * gateway itself. `version` increases on every change so clients can order snapshots.
 */
export class PresenceStore {
  readonly #entries = new Map<string, PresenceEntry>();
  readonly #sizes = new Map<string, number>();
  /** The key each stored entry object sits under: presence deltas name entries by it. */
  readonly #keys = new WeakMap<PresenceEntry, string>();
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #self: () => PresenceEntry;
  readonly #onChange: () => void;
  /** Other cluster instances' lists (their own entry first), as they last announced them. */
  readonly #remote = new Map<string, PresenceEntry[]>();
  #version = 0;

  constructor(options: PresenceStoreOptions) {
    this.#now = options.now;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxEntries = options.maxEntries ?? 200;
    this.#maxBytes = options.maxBytes ?? 128 * 1024;
    this.#self = options.self;
    this.#onChange = options.onChange ?? (() => {});
  }

  get version(): number {
    return this.#version;
  }

  get(key: string): PresenceEntry | undefined {
    return this.#entries.get(key.toLowerCase());
  }

  /** Replaces or merges the entry under `key`; fields absent from `entry` keep their old value. */
  upsert(key: string, entry: Omit<PresenceEntry, 'ts'> & { ts?: number }): PresenceEntry {
    const k = key.toLowerCase();
    const merged = clampEntry({ ...this.#entries.get(k), ...stripUndefined(entry), ts: entry.ts ?? this.#now() });
    this.#delete(k);
    this.#entries.set(k, merged);
    this.#keys.set(merged, k);
    const size = JSON.stringify(merged).length + 1;
    this.#sizes.set(k, size);
    this.#bytes += size;
    this.#evictOverflow();
    this.#version++;
    this.#onChange();
    return merged;
  }

  /** The key of an entry this store holds (as `list()` returned it); undefined for any other. */
  keyOf(entry: PresenceEntry): string | undefined {
    return this.#keys.get(entry);
  }

  markDisconnected(key: string): PresenceEntry | undefined {
    const k = key.toLowerCase();
    const entry = this.#entries.get(k);
    if (!entry) return undefined;
    return this.upsert(k, { ...entry, reason: 'disconnect', ts: this.#now() });
  }

  /** Live entries, the gateway's own first, then most recent first; other instances' entries merged in. */
  list(): PresenceEntry[] {
    const local = this.localList();
    if (this.#remote.size === 0) return local;
    // A device that moved between instances is listed once: its newest entry wins.
    const byKey = new Map<string, PresenceEntry>();
    const others: PresenceEntry[] = [];
    for (const entry of [...local.slice(1), ...[...this.#remote.values()].flat()]) {
      const key = (entry.deviceId ?? entry.instanceId)?.toLowerCase();
      if (key === undefined) others.push(entry);
      else if ((byKey.get(key)?.ts ?? -Infinity) < entry.ts) byKey.set(key, entry);
    }
    return [local[0]!, ...[...others, ...byKey.values()].sort((a, b) => b.ts - a.ts)];
  }

  /** This process's entries only: its own first, then most recent first. */
  localList(): PresenceEntry[] {
    this.#prune();
    const others = [...this.#entries.values()].sort((a, b) => b.ts - a.ts);
    return [this.#self(), ...others];
  }

  /** Replaces what another cluster instance announced; an empty list forgets it (it left or expired). */
  setRemote(instanceId: string, entries: PresenceEntry[]): void {
    if (entries.length === 0 && !this.#remote.delete(instanceId)) return;
    if (entries.length > 0) this.#remote.set(instanceId, entries.slice(0, this.#maxEntries).map(clampEntry));
    this.#version++;
    this.#onChange();
  }

  #prune(): void {
    const cutoff = this.#now() - this.#ttlMs;
    let removed = false;
    for (const [key, entry] of this.#entries) {
      if (entry.ts < cutoff) {
        this.#delete(key);
        removed = true;
      }
    }
    if (removed) this.#version++;
  }

  #delete(key: string): void {
    this.#bytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
    this.#entries.delete(key);
  }

  #evictOverflow(): void {
    while (this.#entries.size > this.#maxEntries || (this.#bytes > this.#maxBytes && this.#entries.size > 1)) {
      let oldestKey: string | undefined;
      let oldestTs = Infinity;
      for (const [key, entry] of this.#entries) {
        if (entry.ts < oldestTs) {
          oldestTs = entry.ts;
          oldestKey = key;
        }
      }
      if (oldestKey === undefined) return;
      this.#delete(oldestKey);
    }
  }
}

/**
 * Cuts an entry's strings and lists to their budget. `connect` fields are limited by the schema
 * already; this bounds what `system-event` beacons put in as well.
 */
function clampEntry(entry: PresenceEntry): PresenceEntry {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value === 'string') out[key] = truncateUtf8(value, key === 'text' ? MAX_TEXT_BYTES : MAX_FIELD_BYTES);
    else if (Array.isArray(value)) out[key] = value.slice(0, MAX_LIST_ITEMS).map((v: unknown) => (typeof v === 'string' ? truncateUtf8(v, MAX_FIELD_BYTES) : v));
    else out[key] = value;
  }
  return out as unknown as PresenceEntry;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
