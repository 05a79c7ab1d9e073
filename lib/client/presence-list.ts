import type { GatewayClient } from './gateway-client.js';
import { PRESENCE_DELTAS_CAP } from '../presence-feed.js';
import type { HelloOk, PresenceDeltaEventPayload, PresenceEntry } from '../protocol/generated/types.js';

export { PRESENCE_DELTAS_CAP };

/**
 * The gateway's presence list as one client knows it, kept current from `hello-ok` and the
 * events that follow: whole lists (`presence`), or, for a client that connected with
 * `caps: [PRESENCE_DELTAS_CAP]`, `presence.delta` applied to the keyed snapshot. `hello-ok`
 * carries at most 64 entries, so a delta client knows those and every entry that changed since.
 */
export class PresenceList {
  /** Delta mode: entries by key (the gateway's own under ""). */
  readonly #byKey = new Map<string, PresenceEntry>();
  #whole: PresenceEntry[] = [];
  #keyed = false;
  readonly #unsubscribe: Array<() => void>;

  /** Follows `client` from now on (and from its current `hello-ok`, if it is connected). */
  constructor(client: Pick<GatewayClient, 'on' | 'hello'>) {
    this.#unsubscribe = [
      client.on('hello', (hello) => this.applyHello(hello)),
      client.on('presence', (payload) => this.#replace(payload.presence)),
      client.on('presence.delta', (payload) => this.applyDelta(payload)),
      // After missed events: whole lists are fetched again; deltas are never skipped (a slow
      // consumer is closed instead), so a keyed list is still exact.
      client.on('refresh', (state) => {
        if (!this.#keyed) this.#replace(state.presence);
      }),
    ];
    if (client.hello) this.applyHello(client.hello);
  }

  /** The gateway's own entry first, then the others, most recent first. */
  list(): PresenceEntry[] {
    if (!this.#keyed) return [...this.#whole];
    const self = this.#byKey.get('');
    const others = [...this.#byKey].filter(([key]) => key !== '').map(([, entry]) => entry);
    others.sort((a, b) => b.ts - a.ts);
    return self ? [self, ...others] : others;
  }

  applyHello(hello: HelloOk): void {
    const { presence, presenceKeys } = hello.snapshot;
    this.#keyed = presenceKeys !== undefined && presenceKeys.length === presence.length;
    this.#byKey.clear();
    if (!this.#keyed) {
      this.#whole = [...presence];
      return;
    }
    presence.forEach((entry, i) => this.#byKey.set(presenceKeys![i]!, entry));
  }

  applyDelta(delta: PresenceDeltaEventPayload): void {
    if (!this.#keyed) return;
    for (const key of delta.removed) this.#byKey.delete(key);
    for (const { key, entry } of delta.upserted) this.#byKey.set(key, entry);
  }

  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  #replace(list: PresenceEntry[]): void {
    if (this.#keyed) return;
    this.#whole = [...list];
  }
}
