import type { ClusterEvent, ClusterLink } from './cluster-link.js';
import type { GatewayConnection } from './connection.js';
import { MemoryEventBus, type EventBus, type EventBusEntry } from './event-bus.js';
import { fanOut, type FanOutResult, type FrameTexts, type FrameVariant } from './fan-out.js';
import { canReceiveEvent, type AccessScope } from './method-access.js';
import { eventSpecs } from './protocol/index.js';
import type { ConnectParams, HelloOk, StateVersion } from './protocol/generated/types.js';
import { v4EventPayload } from './protocol/v4-projection.js';

/**
 * Events about this process alone: its clock, its health, its own shutdown, and presence (which
 * every instance announces as its merged list). Everything else is shared through the bus.
 */
const LOCAL_EVENTS: ReadonlySet<string> = new Set(['tick', 'health', 'shutdown', 'presence']);

/** How many missed events a resuming client is replayed at most; past that it refreshes instead. */
const DEFAULT_MAX_REPLAY = 1000;

type EventSpec = { dropIfSlow: boolean; scope?: AccessScope } | undefined;
type ResumeRequest = NonNullable<ConnectParams['resume']>;
export type ResumeOutcome = NonNullable<HelloOk['resume']>;

export interface EventRelayOptions {
  /** Its bus carries the broadcasts, naming this instance as their source. Default: an in-process {@link MemoryEventBus}. */
  cluster?: Pick<ClusterLink, 'events' | 'instanceId'>;
  connections: () => Iterable<GatewayConnection>;
  stateVersion: () => StateVersion;
  /** Who to tell after each local fan-out (metrics), if anyone listens: asked per event, so nobody pays for timing otherwise. */
  sentListener?: () => ((event: string, result: FanOutResult, durationMs: number) => void) | undefined;
  /** Another form of a local event's frame for the connections that ask for it (presence deltas). */
  variant?: (event: string, frame: Record<string, unknown>) => FrameVariant | undefined;
  /** The bus failed; the event still reached this process's clients. */
  onError: (err: unknown, where: string) => void;
  maxReplay?: number;
}

interface Held {
  texts: FrameTexts;
  spec: EventSpec;
}

/**
 * Sends broadcasts through the event bus and fans out what the bus delivers, so an event raised
 * on any instance reaches the clients of all of them in the bus's order. Clients that opted into
 * cursors get each frame's `cursor` and, when they reconnect with their last one, the frames they
 * missed from the bus.
 */
export class EventRelay {
  readonly #options: EventRelayOptions;
  readonly #bus: EventBus<ClusterEvent>;
  readonly #source: string;
  /** The per-process `seq` of event frames, as clients have always seen it. */
  #seq = 0;
  /** The cursor of the last bus entry fanned out here. */
  #delivered = 0;
  #unsubscribe?: () => void;
  /** Connections being replayed to: what is broadcast meanwhile waits for them here. */
  readonly #holding = new Map<GatewayConnection, Held[]>();

  constructor(options: EventRelayOptions) {
    this.#options = options;
    this.#bus = options.cluster?.events ?? new MemoryEventBus<ClusterEvent>();
    this.#source = options.cluster?.instanceId ?? 'local';
  }

  start(): void {
    this.#unsubscribe ??= this.#bus.subscribe((entry) => this.#onEntry(entry));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#holding.clear();
  }

  /** Raises an event: local ones fan out here and now, the others go through the bus. */
  broadcast(event: string, payload: unknown, stateVersion: boolean): void {
    if (stateVersion || LOCAL_EVENTS.has(event) || this.#unsubscribe === undefined) {
      this.#fanOut(event, payload, stateVersion, undefined);
      return;
    }
    this.#bus.publish({ event, payload, source: this.#source }).catch((err: unknown) => {
      this.#options.onError(err, `publishing ${event}`);
      this.#fanOut(event, payload, false, undefined);
    });
  }

  /**
   * Prepares a client that asked for cursors: reads what it missed after its cursor while what is
   * broadcast meanwhile is held for it. `flush()` (after `hello-ok`) sends the replay, then the
   * held frames; `cancel()` forgets it when the connection went away.
   */
  async resume(conn: GatewayConnection, request: ResumeRequest): Promise<{ outcome: ResumeOutcome; flush(): void; cancel(): void }> {
    const held: Held[] = [];
    this.#holding.set(conn, held);
    const through = this.#delivered;
    // A cursor from another bus (a restarted process's memory bus) says nothing about this one.
    const stream = this.#bus.id;
    const sameStream = request.cursor !== undefined && (request.stream === undefined || request.stream === stream);
    let replay: EventBusEntry<ClusterEvent>[] = [];
    let complete = request.cursor === undefined;
    let after = through;
    if (sameStream) {
      const cursor = request.cursor!;
      try {
        if (cursor < through) {
          const read = await this.#bus.read(cursor, through, this.#options.maxReplay ?? DEFAULT_MAX_REPLAY);
          complete = read.complete;
          if (complete) replay = read.entries;
        } else if (cursor > through) {
          // The client saw entries this process has not delivered yet; if the bus has them, they
          // are skipped for it when they arrive, else the cursor is not from this bus's history.
          const read = await this.#bus.read(through, cursor, 1);
          complete = read.entries.length > 0;
          if (complete) after = cursor;
        } else complete = true;
      } catch (err) {
        this.#options.onError(err, 'reading missed events');
        complete = false;
      }
    }
    const outcome: ResumeOutcome = { stream, cursor: Math.max(through, after), replayed: replay.length, complete };
    return {
      outcome,
      flush: () => {
        this.#holding.delete(conn);
        conn.cursorAfter = after;
        for (const entry of replay) this.#sendReplayed(conn, entry);
        for (const h of held) this.#sendHeld(conn, h);
      },
      cancel: () => {
        this.#holding.delete(conn);
      },
    };
  }

  #onEntry(entry: EventBusEntry<ClusterEvent>): void {
    if (entry.cursor > this.#delivered) this.#delivered = entry.cursor;
    this.#fanOut(entry.value.event, entry.value.payload, false, entry.cursor);
  }

  #fanOut(event: string, payload: unknown, withStateVersion: boolean, cursor: number | undefined): void {
    const spec = eventSpecs[event as keyof typeof eventSpecs] as EventSpec;
    const frame: Record<string, unknown> = { type: 'event', event, payload, seq: ++this.#seq };
    if (withStateVersion) frame.stateVersion = this.#options.stateVersion();
    const text = JSON.stringify(frame);
    const v4 = () => {
      const projected = v4EventPayload(event, payload);
      return projected === undefined ? text : JSON.stringify({ ...frame, payload: projected });
    };
    const texts: FrameTexts = { v3: text, v4, variant: this.#options.variant?.(event, frame) };
    if (cursor !== undefined) {
      texts.cursor = {
        value: cursor,
        v3: () => JSON.stringify({ ...frame, cursor }),
        v4: () => JSON.stringify({ ...frame, payload: v4EventPayload(event, payload) ?? payload, cursor }),
      };
    }
    for (const held of this.#holding.values()) held.push({ texts, spec });
    const onSent = this.#options.sentListener?.();
    const startedAt = onSent ? performance.now() : 0;
    const sent = fanOut(this.#options.connections(), texts, spec);
    onSent?.(event, sent, performance.now() - startedAt);
  }

  #sendHeld(conn: GatewayConnection, { texts, spec }: Held): void {
    const session = conn.session;
    if (!session || !canReceiveEvent(session.role, session.scopes, spec?.scope)) return;
    if (texts.cursor && texts.cursor.value <= (conn.cursorAfter ?? 0)) return;
    if (texts.variant?.wants(conn)) {
      conn.sendText(texts.variant.text());
      return;
    }
    const v4 = session.protocol >= 4;
    conn.sendText(texts.cursor ? (v4 ? texts.cursor.v4() : texts.cursor.v3()) : v4 ? texts.v4() : texts.v3);
  }

  /** A missed event: no `seq` (it was never sent on this connection), its cursor instead. */
  #sendReplayed(conn: GatewayConnection, { cursor, value }: EventBusEntry<ClusterEvent>): void {
    const session = conn.session;
    const spec = eventSpecs[value.event as keyof typeof eventSpecs] as EventSpec;
    if (!session || !canReceiveEvent(session.role, session.scopes, spec?.scope)) return;
    const payload = session.protocol >= 4 ? (v4EventPayload(value.event, value.payload) ?? value.payload) : value.payload;
    conn.sendText(JSON.stringify({ type: 'event', event: value.event, payload, cursor }));
  }
}
