import { randomUUID } from 'node:crypto';
import type { TimerHandle } from '../clock.js';
import type { Leadership } from '../lease-leadership.js';
import type { GatewayHost } from '../plugin.js';
import type { HeartbeatEventPayload } from '../protocol/generated/types.js';
import type { SystemEventQueue } from '../system-event-queue.js';
import { isWithinActiveHours } from './active-hours.js';
import { classifyHeartbeatReply } from './heartbeat-reply.js';
import type { HeartbeatSettings } from './heartbeat-settings.js';

/** The longest single timer (Node's setTimeout limit is about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where a session's replies last went: what target `last` delivers to. */
export interface DeliveryRoute {
  channel?: string;
  to?: string;
  accountId?: string;
}

export interface HeartbeatRunnerOptions {
  host: GatewayHost;
  settings: readonly HeartbeatSettings[];
  /** The agent whose heartbeat takes the queued system events (when its heartbeat is on). */
  defaultAgentId: string;
  systemEvents: SystemEventQueue;
  /** `agents.defaults.userTimezone`: what activeHours with timezone `user` mean. */
  userTimezone?: string;
  lastRoute?: (agentId: string, sessionKey: string) => DeliveryRoute | undefined;
  /** Whether heartbeats run at start (default true); `set-heartbeats` changes it. */
  enabled?: boolean;
  /** Several processes (a cluster): only the leader runs heartbeats on their interval; `wake` still runs here. */
  leadership?: Leadership;
}

const PREVIEW_CHARS = 200;

/** What a run reports besides its time, agent and duration. */
type RunOutcome = Pick<HeartbeatEventPayload, 'status'> & Partial<Pick<HeartbeatEventPayload, 'to' | 'channel' | 'preview' | 'hasMedia' | 'reason'>>;

/**
 * Runs each agent's heartbeat turn every `everyMs` through the gateway's `agent` method, hands
 * it the queued system events, drops HEARTBEAT_OK acknowledgements and delivers any other reply
 * to the target channel through `send`. Every run, skipped or not, is announced as a `heartbeat`
 * event and restarts that agent's interval.
 */
export class HeartbeatRunner {
  readonly #options: HeartbeatRunnerOptions;
  readonly #timers = new Map<string, TimerHandle>();
  readonly #running = new Map<string, Promise<HeartbeatEventPayload>>();
  /** Agents asked to run while a turn of theirs was in flight: they run once more after it. */
  readonly #again = new Set<string>();
  #enabled: boolean;
  #started = false;
  #stopped = false;
  #last: HeartbeatEventPayload | null = null;
  #offLeadership?: () => void;

  constructor(options: HeartbeatRunnerOptions) {
    this.#options = options;
    this.#enabled = options.enabled ?? true;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  get settings(): readonly HeartbeatSettings[] {
    return this.#options.settings;
  }

  /** The queue whose events the next heartbeat turn hands to the agent. */
  get systemEvents(): SystemEventQueue {
    return this.#options.systemEvents;
  }

  /** The last heartbeat event, or null before the first run. */
  last(): HeartbeatEventPayload | null {
    return this.#last;
  }

  start(): void {
    this.#started = true;
    this.#offLeadership = this.#options.leadership?.onChange(() => {
      for (const s of this.#options.settings) this.#schedule(s);
    });
    for (const s of this.#options.settings) this.#schedule(s);
  }

  stop(): void {
    this.#stopped = true;
    this.#offLeadership?.();
    for (const timer of this.#timers.values()) this.#options.host.clock.clearTimeout(timer);
    this.#timers.clear();
  }

  /** Pauses or resumes every heartbeat; resuming starts each interval afresh. */
  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    for (const s of this.#options.settings) this.#schedule(s);
  }

  /**
   * Runs heartbeats now: of `agentId`, or of every agent whose heartbeat is on (the default
   * agent's alone when none is, so a wake still reports why it was skipped).
   */
  runNow(agentId?: string): Promise<HeartbeatEventPayload[]> {
    const all = this.#options.settings;
    const chosen = agentId ? all.filter((s) => s.agentId === agentId) : all.filter((s) => s.enabled);
    const targets = chosen.length ? chosen : all.filter((s) => s.agentId === (agentId ?? this.#options.defaultAgentId));
    return Promise.all(targets.map((s) => this.#run(s)));
  }

  #schedule(s: HeartbeatSettings): void {
    const { clock } = this.#options.host;
    const previous = this.#timers.get(s.agentId);
    if (previous !== undefined) clock.clearTimeout(previous);
    this.#timers.delete(s.agentId);
    if (!this.#started || this.#stopped || !this.#enabled || !s.enabled || s.everyMs === null || this.#options.leadership?.leading === false) return;
    this.#arm(s, clock.now() + s.everyMs);
  }

  /** Timers wait at most MAX_TIMER_MS at a time: a longer delay would overflow to 1 ms. */
  #arm(s: HeartbeatSettings, dueAt: number): void {
    const { clock } = this.#options.host;
    const wait = dueAt - clock.now();
    this.#timers.set(
      s.agentId,
      clock.setTimeout(
        () => {
          this.#timers.delete(s.agentId);
          if (clock.now() < dueAt) this.#arm(s, dueAt);
          else this.#runInBackground(s);
        },
        Math.max(0, Math.min(wait, MAX_TIMER_MS)),
      ),
    );
  }

  /** A turn's own failures become `failed` events; this logs what goes wrong around it (the broadcast). */
  #runInBackground(s: HeartbeatSettings): void {
    this.#run(s).catch((err: unknown) => this.#options.host.logger.log('error', 'heartbeat', `heartbeat of ${s.agentId} failed: ${(err as Error).message}`));
  }

  #run(s: HeartbeatSettings): Promise<HeartbeatEventPayload> {
    const inFlight = this.#running.get(s.agentId);
    if (inFlight) {
      this.#again.add(s.agentId);
      return inFlight;
    }
    const startedAt = this.#options.host.clock.now();
    const run = this.#turn(s, startedAt)
      .catch((err: unknown): HeartbeatEventPayload => this.#payload(s, startedAt, { status: 'failed', reason: (err as Error).message }))
      .then((payload) => {
        this.#running.delete(s.agentId);
        if (this.#stopped) return payload;
        this.#last = payload;
        this.#options.host.broadcast('heartbeat', payload);
        this.#schedule(s);
        if (this.#again.delete(s.agentId)) this.#runInBackground(s);
        return payload;
      });
    this.#running.set(s.agentId, run);
    return run;
  }

  async #turn(s: HeartbeatSettings, startedAt: number): Promise<HeartbeatEventPayload> {
    const { host, systemEvents } = this.#options;
    if (!this.#enabled || !s.enabled) return this.#payload(s, startedAt, { status: 'skipped', reason: 'disabled' });
    if (!isWithinActiveHours(s.activeHours, startedAt, this.#options.userTimezone)) {
      return this.#payload(s, startedAt, { status: 'skipped', reason: 'quiet-hours' });
    }
    if (!host.hasMethod('agent')) return this.#payload(s, startedAt, { status: 'skipped', reason: 'agent runs are not available' });

    const events = this.#takesEvents(s) ? systemEvents.drain() : [];
    const message = events.length ? `${events.map((e) => `System: ${e}`).join('\n')}\n\n${s.prompt}` : s.prompt;
    let payloads;
    try {
      const final = await host.call('agent', {
        message,
        idempotencyKey: `heartbeat-${randomUUID()}`,
        agentId: s.agentId,
        sessionKey: s.session,
        ...(s.model ? { model: s.model } : {}),
      });
      payloads = 'result' in final ? final.result.payloads : [];
    } catch (err) {
      // The agent never saw them: they wait for the next turn.
      for (const text of events) systemEvents.enqueue(text);
      return this.#payload(s, startedAt, { status: 'failed', reason: (err as Error).message });
    }
    const text = payloads.map((p) => p.text).filter(Boolean).join('\n\n');
    const hasMedia = payloads.some((p) => p.mediaUrl || p.mediaUrls?.length);
    const reply = classifyHeartbeatReply(text, s.ackMaxChars);
    if (reply.kind === 'empty' && !hasMedia) return this.#payload(s, startedAt, { status: 'ok-empty' });
    if (reply.kind === 'ack' && !hasMedia) return this.#payload(s, startedAt, { status: 'ok-token' });
    const body = reply.kind === 'message' ? reply.text : '';
    const preview = body.slice(0, PREVIEW_CHARS);
    const route = this.#route(s);
    if (!route) return this.#payload(s, startedAt, { status: 'skipped', reason: 'no-target', preview, hasMedia });
    if (!host.hasMethod('send')) return this.#payload(s, startedAt, { status: 'skipped', reason: 'no-channel', preview, hasMedia, ...route });
    try {
      await host.call('send', {
        to: route.to,
        message: body,
        channel: route.channel,
        ...(route.accountId ? { accountId: route.accountId } : {}),
        idempotencyKey: `heartbeat-${randomUUID()}`,
      });
    } catch (err) {
      return this.#payload(s, startedAt, { status: 'failed', reason: (err as Error).message, preview, hasMedia, to: route.to, channel: route.channel });
    }
    return this.#payload(s, startedAt, { status: 'sent', preview, hasMedia, to: route.to, channel: route.channel });
  }

  /** The default agent's heartbeat takes the system events; without it, the first agent that has one. */
  #takesEvents(s: HeartbeatSettings): boolean {
    const on = this.#options.settings.filter((x) => x.enabled);
    const owner = on.find((x) => x.agentId === this.#options.defaultAgentId) ?? on[0];
    return owner?.agentId === s.agentId;
  }

  #route(s: HeartbeatSettings): { channel: string; to: string; accountId?: string } | undefined {
    if (s.target === 'none') return undefined;
    const last = this.#options.lastRoute?.(s.agentId, s.session);
    const channel = s.target === 'last' ? last?.channel : s.target;
    // The Control UI's chat is no channel anything can be sent to.
    if (!channel || channel === 'webchat') return undefined;
    const sameChannel = last?.channel === channel;
    const to = s.to ?? (sameChannel ? last?.to : undefined);
    if (!to) return undefined;
    const accountId = sameChannel ? last?.accountId : undefined;
    return { channel, to, ...(accountId ? { accountId } : {}) };
  }

  #payload(s: HeartbeatSettings, startedAt: number, fields: RunOutcome): HeartbeatEventPayload {
    const ts = this.#options.host.clock.now();
    const out: HeartbeatEventPayload = { ...fields, ts, agentId: s.agentId, durationMs: Math.max(0, ts - startedAt) };
    if (!out.preview) delete out.preview;
    if (out.hasMedia === false) delete out.hasMedia;
    return out;
  }
}
