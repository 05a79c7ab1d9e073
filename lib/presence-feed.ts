import type { GatewayConnection } from './connection.js';
import type { FrameVariant } from './fan-out.js';
import type { PresenceStore } from './presence.js';
import type { PresenceDeltaEventPayload, PresenceEntry } from './protocol/generated/types.js';

/** The most entries `hello-ok.snapshot.presence` carries: the gateway's own, then the most recent. */
export const HELLO_PRESENCE_LIMIT = 64;

/** The `connect.caps` value of a client that takes `presence.delta` events instead of whole lists. */
export const PRESENCE_DELTAS_CAP = 'presence-deltas';

/** The key of the gateway's own entry, which is in every snapshot and never in a delta. */
const SELF_KEY = '';

/**
 * Presence as clients are told it: a bounded snapshot for `hello-ok`, and for clients that opted
 * in (`caps: ["presence-deltas"]`) each `presence` event as the entries added, changed and gone
 * since the previous one. An entry is named by its store key; entries merged in from other
 * cluster instances by their device or instance id.
 */
export class PresenceFeed {
  readonly #store: PresenceStore;
  /** The entries as the previous delta left them, by key: unchanged entries keep their object. */
  #announced = new Map<string, PresenceEntry>();

  constructor(store: PresenceStore) {
    this.#store = store;
  }

  /** The first `limit` entries of the list, and their keys for a client that takes deltas. */
  snapshot(list: readonly PresenceEntry[], withKeys: boolean, limit = HELLO_PRESENCE_LIMIT): { presence: PresenceEntry[]; presenceKeys?: string[] } {
    const presence = list.length > limit ? list.slice(0, limit) : [...list];
    return withKeys ? { presence, presenceKeys: presence.map((entry, i) => this.#key(entry, i)) } : { presence };
  }

  /**
   * The `presence.delta` form of a presence event carrying `list`, for connections that opted in;
   * the delta is worked out once, when the first of them is sent the frame.
   */
  variant(frame: Record<string, unknown>, list: readonly PresenceEntry[]): FrameVariant {
    let text: string | undefined;
    return {
      wants: (conn: GatewayConnection) => conn.presenceDeltas === true,
      text: () => (text ??= JSON.stringify({ ...frame, event: 'presence.delta', payload: this.delta(list) })),
    };
  }

  /** What changed between the list the previous delta was made from and `list`. */
  delta(list: readonly PresenceEntry[]): PresenceDeltaEventPayload {
    const next = new Map<string, PresenceEntry>();
    const upserted: PresenceDeltaEventPayload['upserted'] = [];
    list.forEach((entry, i) => {
      const key = this.#key(entry, i);
      if (key === SELF_KEY) return;
      next.set(key, entry);
      if (this.#announced.get(key) !== entry) upserted.push({ key, entry });
    });
    const removed = [...this.#announced.keys()].filter((key) => !next.has(key));
    this.#announced = next;
    return { upserted, removed };
  }

  #key(entry: PresenceEntry, index: number): string {
    if (index === 0) return SELF_KEY;
    const stored = this.#store.keyOf(entry);
    if (stored !== undefined) return stored;
    // Another instance's entry (cluster presence): named as the merge names it.
    return `~${(entry.deviceId ?? entry.instanceId ?? `${entry.host ?? ''}|${entry.ip ?? ''}|${entry.mode ?? ''}`).toLowerCase()}`;
  }
}

/** `hello-ok.features.events`: `presence.delta` is named only to a client that asked for it. */
export function helloEvents(events: string[], presenceDeltas: boolean): string[] {
  return presenceDeltas ? events : events.filter((event) => event !== 'presence.delta');
}
