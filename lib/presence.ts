import type { PresenceEntry } from './protocol/generated/types.js';

export interface PresenceStoreOptions {
  now: () => number;
  /** Entries not refreshed for this long disappear. */
  ttlMs?: number;
  /** Hard cap; the stalest entries go first. */
  maxEntries?: number;
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
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #self: () => PresenceEntry;
  readonly #onChange: () => void;
  #version = 0;

  constructor(options: PresenceStoreOptions) {
    this.#now = options.now;
    this.#ttlMs = options.ttlMs ?? 5 * 60_000;
    this.#maxEntries = options.maxEntries ?? 200;
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
    const merged: PresenceEntry = { ...this.#entries.get(k), ...stripUndefined(entry), ts: entry.ts ?? this.#now() };
    this.#entries.delete(k);
    this.#entries.set(k, merged);
    this.#evictOverflow();
    this.#version++;
    this.#onChange();
    return merged;
  }

  markDisconnected(key: string): PresenceEntry | undefined {
    const k = key.toLowerCase();
    const entry = this.#entries.get(k);
    if (!entry) return undefined;
    return this.upsert(k, { ...entry, reason: 'disconnect', ts: this.#now() });
  }

  /** Live entries, the gateway's own first, then most recent first. */
  list(): PresenceEntry[] {
    this.#prune();
    const others = [...this.#entries.values()].sort((a, b) => b.ts - a.ts);
    return [this.#self(), ...others];
  }

  #prune(): void {
    const cutoff = this.#now() - this.#ttlMs;
    let removed = false;
    for (const [key, entry] of this.#entries) {
      if (entry.ts < cutoff) {
        this.#entries.delete(key);
        removed = true;
      }
    }
    if (removed) this.#version++;
  }

  #evictOverflow(): void {
    while (this.#entries.size > this.#maxEntries) {
      let oldestKey: string | undefined;
      let oldestTs = Infinity;
      for (const [key, entry] of this.#entries) {
        if (entry.ts < oldestTs) {
          oldestTs = entry.ts;
          oldestKey = key;
        }
      }
      if (oldestKey === undefined) return;
      this.#entries.delete(oldestKey);
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
