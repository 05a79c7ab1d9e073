import type * as PromClient from 'prom-client';
import type { AgentRunResult } from '../lib/agents/agent-run.js';
import type { Gateway } from '../lib/gateway.js';
import { agentsService, channelsService } from '../lib/services.js';
import { CHANNEL_ACCOUNT_STATES, channelAccountState } from './readiness.js';

/** A scrape's answer: the Prometheus text format and its content type. */
export interface MetricsScrape {
  contentType: string;
  text: string;
}

type Instruments = ReturnType<typeof createInstruments>;
type CounterName = 'requests' | 'broadcasts' | 'slowDrops' | 'slowCloses' | 'authFailures' | 'runs' | 'tokens';
type HistogramName = 'requestSeconds' | 'fanoutSeconds' | 'runSeconds';
type Labels = Record<string, string>;

/** Timings kept before the first scrape; counts are always exact, only timings beyond this are dropped. */
const MAX_EARLY_TIMINGS = 5_000;

/**
 * The gateway's Prometheus metrics in a registry of its own (several gateways in one process do
 * not collide). prom-client (some 14 MB of code) is loaded at the first scrape; until then what
 * happens is tallied in plain maps and handed to it then, so counters count from the start and a
 * gateway nobody scrapes stays as light as one without metrics. Gauges (connections, channel
 * states, runs in flight) are read at each scrape. It outlives in-process restarts: `attach`
 * follows each new gateway.
 */
export class GatewayMetrics {
  #loading?: Promise<Instruments>;
  #instruments?: Instruments;
  #gateway?: Gateway;
  /** Authenticated connections by `role mode`, counted from the gateway's start. */
  readonly #connections = new Map<string, number>();
  /** Before prom-client is loaded: counter increments by name and labels, and timings. */
  readonly #earlyCounts = new Map<string, { name: CounterName; labels?: Labels; value: number }>();
  #earlyTimings: Array<{ name: HistogramName; labels?: Labels; seconds: number }> = [];
  #untrack: Array<() => void> = [];
  #methods = new Set<string>();

  /** Follows a gateway that just started; what it does is counted from now on. */
  attach(gateway: Gateway): void {
    this.detach();
    this.#gateway = gateway;
    this.#methods = new Set(gateway.methods());
    this.#untrack = [
      gateway.on('client-connected', (session) => this.#count(`${session.role} ${session.client.mode}`, 1)),
      gateway.on('client-disconnected', ({ session }) => this.#count(`${session.role} ${session.client.mode}`, -1)),
      gateway.on('request-completed', ({ method, outcome, durationMs }) => {
        const label = this.#methodLabel(method);
        this.#inc('requests', { method: label, outcome });
        this.#time('requestSeconds', durationMs / 1000, { method: label });
      }),
      gateway.on('broadcast-sent', ({ event, dropped, durationMs }) => {
        this.#inc('broadcasts', { event });
        this.#time('fanoutSeconds', durationMs / 1000);
        if (dropped) this.#inc('slowDrops', { event }, dropped);
      }),
      gateway.on('slow-consumer-closed', () => this.#inc('slowCloses')),
      gateway.on('auth-failed', ({ transport, reason }) => this.#inc('authFailures', { transport, reason })),
    ];
    const runner = gateway.optionalService(agentsService)?.runner;
    if (runner) {
      this.#untrack.push(
        runner.onEvent((event, run) => {
          // A run's result (status, usage) is final only once it settled; it never rejects.
          if (event.stream === 'lifecycle' && event.data.phase === 'start') run.done.then((result) => this.#recordRun(result)).catch(() => {});
        }),
      );
    }
  }

  /** Stops following the gateway (it closed, or is being replaced by a restart). */
  detach(): void {
    for (const off of this.#untrack.splice(0)) off();
    this.#connections.clear();
    this.#gateway = undefined;
  }

  /** Every metric in the Prometheus text format; the first call loads prom-client. */
  async scrape(): Promise<MetricsScrape> {
    const instruments = await this.#load();
    return { contentType: instruments.registry.contentType, text: await instruments.registry.metrics() };
  }

  #load(): Promise<Instruments> {
    this.#loading ??= import('prom-client').then((prom) => {
      const instruments = createInstruments(prom, {
        connections: () => this.#connections,
        gateway: () => this.#gateway,
      });
      for (const { name, labels, value } of this.#earlyCounts.values()) counter(instruments, name).inc(labels ?? {}, value);
      for (const { name, labels, seconds } of this.#earlyTimings) histogram(instruments, name).observe(labels ?? {}, seconds);
      this.#earlyCounts.clear();
      this.#earlyTimings = [];
      this.#instruments = instruments;
      return instruments;
    });
    return this.#loading;
  }

  #inc(name: CounterName, labels?: Labels, by = 1): void {
    if (this.#instruments) {
      counter(this.#instruments, name).inc(labels ?? {}, by);
      return;
    }
    let key: string = name;
    // Every request is counted here until the first scrape: a plain join, not JSON.stringify.
    if (labels) for (const label in labels) key += `\0${label}\0${labels[label]}`;
    const entry = this.#earlyCounts.get(key);
    if (entry) entry.value += by;
    else this.#earlyCounts.set(key, { name, ...(labels ? { labels } : {}), value: by });
  }

  #time(name: HistogramName, seconds: number, labels?: Labels): void {
    if (this.#instruments) histogram(this.#instruments, name).observe(labels ?? {}, seconds);
    else if (this.#earlyTimings.length < MAX_EARLY_TIMINGS) this.#earlyTimings.push({ name, ...(labels ? { labels } : {}), seconds });
  }

  #recordRun(result: AgentRunResult): void {
    this.#inc('runs', { status: result.aborted ? 'aborted' : result.status });
    this.#time('runSeconds', Math.max(0, result.endedAt - result.startedAt) / 1000);
    const usage = result.usage;
    if (!usage) return;
    const model = `${result.provider}/${result.model}`;
    const kinds: Array<[string, number | undefined]> = [
      ['input', usage.input],
      ['output', usage.output],
      ['cache_read', usage.cacheRead],
      ['cache_write', usage.cacheWrite],
    ];
    for (const [kind, tokens] of kinds) if (tokens) this.#inc('tokens', { model, kind }, tokens);
  }

  #count(key: string, delta: number): void {
    const next = (this.#connections.get(key) ?? 0) + delta;
    if (next > 0) this.#connections.set(key, next);
    else this.#connections.delete(key);
  }

  /** Method names a client may pick freely: unknown ones share one label, so they cannot grow the series. */
  #methodLabel(method: string): string {
    if (this.#methods.has(method)) return method;
    // Custom methods may be registered after the start.
    this.#methods = new Set(this.#gateway?.methods() ?? []);
    return this.#methods.has(method) ? method : 'unknown';
  }
}

function counter(m: Instruments, name: CounterName): { inc(labels: Labels, value: number): void } {
  return m[name] as unknown as { inc(labels: Labels, value: number): void };
}

function histogram(m: Instruments, name: HistogramName): { observe(labels: Labels, value: number): void } {
  return m[name] as unknown as { observe(labels: Labels, value: number): void };
}

interface Sources {
  connections(): ReadonlyMap<string, number>;
  gateway(): Gateway | undefined;
}

function createInstruments(prom: typeof PromClient, sources: Sources) {
  const registry = new prom.Registry();
  const registers = [registry];
  prom.collectDefaultMetrics({ register: registry });
  return {
    registry,
    connections: new prom.Gauge({
      name: 'openclaw_connections',
      help: 'Authenticated WebSocket connections by role and client mode.',
      labelNames: ['role', 'mode'],
      registers,
      collect() {
        this.reset();
        for (const [key, count] of sources.connections()) {
          const [role = '', mode = ''] = key.split(' ');
          this.set({ role, mode }, count);
        }
      },
    }),
    requests: new prom.Counter({
      name: 'openclaw_requests_total',
      help: 'Requests clients sent, by method and outcome (ok, or the error code they were answered with).',
      labelNames: ['method', 'outcome'],
      registers,
    }),
    requestSeconds: new prom.Histogram({
      name: 'openclaw_request_duration_seconds',
      help: 'Time from a request frame to its final answer, by method.',
      labelNames: ['method'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    broadcasts: new prom.Counter({ name: 'openclaw_broadcast_events_total', help: 'Events broadcast to the connected clients, by event.', labelNames: ['event'], registers }),
    fanoutSeconds: new prom.Histogram({
      name: 'openclaw_broadcast_fanout_seconds',
      help: 'Time to hand one broadcast event to every connection.',
      buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
      registers,
    }),
    slowDrops: new prom.Counter({ name: 'openclaw_slow_consumer_drops_total', help: 'Droppable events slow consumers skipped, by event.', labelNames: ['event'], registers }),
    slowCloses: new prom.Counter({ name: 'openclaw_slow_consumer_closes_total', help: 'Connections closed for falling too far behind.', registers }),
    authFailures: new prom.Counter({
      name: 'openclaw_auth_failures_total',
      help: 'Connects and HTTP requests refused for a missing or wrong gateway secret, or rate limited, by transport and reason.',
      labelNames: ['transport', 'reason'],
      registers,
    }),
    channelState: new prom.Gauge({
      name: 'openclaw_channel_state',
      help: 'Each channel account\'s state: 1 for the state it is in, 0 for the others.',
      labelNames: ['channel', 'account', 'state'],
      registers,
      collect() {
        this.reset();
        const status = sources.gateway()?.optionalService(channelsService)?.status();
        for (const [channel, accounts] of Object.entries(status?.channelAccounts ?? {})) {
          for (const account of accounts) {
            const current = channelAccountState(account);
            for (const state of CHANNEL_ACCOUNT_STATES) this.set({ channel, account: account.accountId, state }, state === current ? 1 : 0);
          }
        }
      },
    }),
    channelReconnects: new prom.Gauge({
      name: 'openclaw_channel_reconnect_attempts',
      help: 'Failed (re)connection attempts of each channel account since its last success.',
      labelNames: ['channel', 'account'],
      registers,
      collect() {
        this.reset();
        const status = sources.gateway()?.optionalService(channelsService)?.status();
        for (const [channel, accounts] of Object.entries(status?.channelAccounts ?? {})) {
          for (const account of accounts) this.set({ channel, account: account.accountId }, account.reconnectAttempts ?? 0);
        }
      },
    }),
    runs: new prom.Counter({ name: 'openclaw_agent_runs_total', help: 'Agent runs that ended, by status (ok, error, aborted).', labelNames: ['status'], registers }),
    activeRuns: new prom.Gauge({
      name: 'openclaw_agent_runs_active',
      help: 'Agent runs queued or running now.',
      registers,
      collect() {
        this.set(sources.gateway()?.optionalService(agentsService)?.runner.active().length ?? 0);
      },
    }),
    runSeconds: new prom.Histogram({
      name: 'openclaw_agent_run_duration_seconds',
      help: 'Agent run duration, from its start to its end.',
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    tokens: new prom.Counter({
      name: 'openclaw_agent_tokens_total',
      help: 'Model tokens agent runs used, by provider/model and kind (input, output, cache_read, cache_write).',
      labelNames: ['model', 'kind'],
      registers,
    }),
  };
}
