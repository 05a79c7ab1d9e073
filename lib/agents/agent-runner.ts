import { settledWithin, systemClock, type Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';
import { silentLogger, type Logger } from '../logger.js';
import type { AgentEventPayload } from '../protocol/generated/types.js';
import type { ModelResolver, ResolvedModel } from '../providers/model-catalog.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { AgentSettings } from './agent-settings.js';
import type { ToolRegistry } from './tool-registry.js';
import { resolveModelChain } from '../providers/fallback-provider.js';
import { loadOnce } from '../load-once.js';
import { AgentRun, asGatewayError, type AbortReason, type AgentRunRequest, type AgentRunResult, type RunState } from './agent-run.js';
import type { TurnHost } from './agent-turn.js';

export { AgentRun } from './agent-run.js';
export type { AbortReason, AgentRunRequest, AgentRunResult, RunState } from './agent-run.js';

export interface AgentRunnerOptions {
  models: ModelResolver;
  sessions: SessionStore;
  settings: AgentSettings;
  tools?: ToolRegistry;
  /** Where `agent` events go (the gateway broadcasts them). */
  emit?: (event: AgentEventPayload) => void;
  /** Tool rounds per run before it stops with stopReason `toolLimit`. Default 24. */
  maxToolRounds?: number;
  /** The system prompt of an agent; default: a short identity line. */
  systemPrompt?: (agentId: string, settings: AgentSettings) => string;
  clock?: Clock;
  logger?: Logger;
}

export type AgentRunListener = (event: AgentEventPayload, run: AgentRun) => void;

export interface AgentStartOptions {
  /**
   * Called once, synchronously, when the user's message is on disk (before the run's first event)
   * or when the run has to wait behind another one, or when it failed before that.
   */
  onStarted?: (run: AgentRun) => void;
}

/** The turn's code (model loop, tool calls), loaded with the first run and then called without a wait. */
let turnModule: typeof import('./agent-turn.js') | undefined;
const loadTurn = loadOnce(() => import('./agent-turn.js'));

/**
 * Runs agent turns: one at a time per session (others wait in order), each streaming from the
 * model, executing tool calls and feeding their results back until the model answers. Every
 * transcript line is on disk before the event that announces it goes out.
 */
export class AgentRunner {
  readonly #options: AgentRunnerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #lanes = new KeyedQueue();
  readonly #runs = new Map<string, AgentRun>();
  readonly #states = new WeakMap<AgentRun, RunState>();
  readonly #listeners = new Set<AgentRunListener>();
  readonly #turnHost: TurnHost;

  constructor(options: AgentRunnerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#turnHost = {
      options,
      clock: this.#clock,
      logger: this.#logger,
      emit: (run, stream, data) => this.#emit(run, stream, data),
      result: (run, fields) => this.#result(run, fields),
    };
  }

  get settings(): AgentSettings {
    return this.#options.settings;
  }

  get sessions(): SessionStore {
    return this.#options.sessions;
  }

  /** Every run's `agent` events, with the run they belong to. */
  onEvent(listener: AgentRunListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Runs not finished yet (queued or running). */
  get(runId: string): AgentRun | undefined {
    return this.#runs.get(runId);
  }

  active(sessionKey?: string): AgentRun[] {
    return [...this.#runs.values()].filter((r) => sessionKey === undefined || r.sessionKey === sessionKey);
  }

  /** Model the agent would use; throws UNAVAILABLE saying what to configure. */
  resolveModel(agentId: string, override?: string): ResolvedModel {
    if (override !== undefined) return this.#options.models.resolve(override, agentId);
    return resolveModelChain(this.#options.models, this.settings.modelChain(agentId), agentId, this.#logger);
  }

  /**
   * Queues a run. Throws (before anything is written) when no model is available; everything
   * later is reported through the run's result.
   */
  start(request: AgentRunRequest, options: AgentStartOptions = {}): AgentRun {
    if (this.#runs.has(request.runId)) throw new GatewayError('INVALID_REQUEST', `run ${request.runId} is already active`);
    const model = this.resolveModel(request.agentId, request.model);
    let state!: RunState;
    const run = new AgentRun(request, model, this.#clock.now(), (s) => (state = s), options.onStarted);
    this.#states.set(run, state);
    this.#runs.set(run.runId, run);
    if (this.#lanes.size(run.sessionKey) > 0) state.markStarted();
    this.#lanes
      .run(run.sessionKey, () => this.#executeHeld(run, state))
      .catch((err: unknown): AgentRunResult => {
        // executeTurn reports its own failures; reaching this is a bug, not a run outcome.
        this.#logger.log('error', 'agent', `run ${run.runId} crashed: ${(err as Error).message}`);
        return this.#result(run, { status: 'error', startedAt: run.acceptedAt, error: asGatewayError(err), payloads: [] });
      })
      .then((result) => {
        state.phase = 'done';
        this.#runs.delete(run.runId);
        state.markStarted();
        state.settle(result);
      })
      // Only the caller's onStarted (run by markStarted) can throw here.
      .catch((err: unknown) => this.#logger.log('error', 'agent', `run ${run.runId} failed to settle: ${(err as Error).message}`));
    return run;
  }

  /** Aborts every run of the session (running and queued); returns their ids. */
  abortSession(sessionKey: string, reason: AbortReason): string[] {
    const runs = this.active(sessionKey).filter((r) => !r.aborted);
    for (const run of runs) run.abort(reason);
    return runs.map((r) => r.runId);
  }

  /** Runs `task` while no run of the session is active (it waits its turn in the session's queue). */
  exclusive<T>(sessionKey: string, task: () => Promise<T>): Promise<T> {
    return this.#lanes.run(sessionKey, task);
  }

  abortAll(reason: AbortReason): void {
    for (const run of this.#runs.values()) run.abort(reason);
  }

  /**
   * Lets the runs in flight finish for up to `drainMs` (default 0), then aborts the rest and waits
   * (at most `timeoutMs`) until they have settled, so nothing writes to a transcript after the
   * gateway is closed.
   */
  async shutdown(timeoutMs = 5000, drainMs = 0): Promise<void> {
    if (drainMs > 0 && this.#runs.size) await this.#settled([...this.#runs.values()], drainMs);
    const runs = [...this.#runs.values()];
    this.abortAll('shutdown');
    if (runs.length) await this.#settled(runs, timeoutMs);
  }

  #settled(runs: AgentRun[], timeoutMs: number): Promise<void> {
    return settledWithin(runs.map((run) => run.done), timeoutMs, this.#clock);
  }

  #emit(run: AgentRun, stream: string, data: Record<string, unknown>): void {
    const state = this.#states.get(run)!;
    const event: AgentEventPayload = { runId: run.runId, seq: ++state.seq, stream, ts: this.#clock.now(), data, sessionKey: run.sessionKey };
    try {
      this.#options.emit?.(event);
    } catch (err) {
      this.#logger.log('error', 'agent', `emitting agent event failed: ${(err as Error).message}`);
    }
    for (const listener of this.#listeners) {
      try {
        listener(event, run);
      } catch (err) {
        this.#logger.log('error', 'agent', `agent event listener failed: ${(err as Error).message}`);
      }
    }
  }

  #result(run: AgentRun, fields: Partial<AgentRunResult> & Pick<AgentRunResult, 'status' | 'startedAt' | 'payloads'>): AgentRunResult {
    return {
      runId: run.runId,
      agentId: run.agentId,
      sessionKey: run.sessionKey,
      endedAt: this.#clock.now(),
      provider: run.model.provider.id,
      model: run.model.model,
      aborted: false,
      ...fields,
    };
  }

  /** Session maintenance never removes the session of a run while it runs. */
  async #executeHeld(run: AgentRun, state: RunState): Promise<AgentRunResult> {
    const release = this.#options.sessions.hold(run.agentId, run.sessionKey);
    try {
      const { executeTurn } = turnModule ?? (turnModule = await loadTurn());
      return await executeTurn(this.#turnHost, run, state);
    } finally {
      release();
    }
  }

}
