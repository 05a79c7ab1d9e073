import type { Clock, TimerHandle } from "../clock.js";
import { invalidRequest } from "../errors.js";
import type { Leadership } from "../lease-leadership.js";
import type { Logger } from "../logger.js";
import type {
  CronAddParams,
  CronEventPayload,
  CronJobPatch,
  CronRunLogEntry,
} from "../protocol/generated/types.js";
import {
  createJob,
  firstRun,
  patchJob,
  type StoredCronJob,
} from "./cron-job.js";
import type { CronJobStore } from "./cron-job-store.js";
import type { CronRunOutcome } from "./cron-job-runner.js";
import type { CronRunLog } from "./cron-run-log.js";

export interface CronSchedulerOptions {
  store: CronJobStore;
  runLog: CronRunLog;
  clock: Clock;
  logger: Logger;
  /** Runs one job (the job runner over the gateway's methods). */
  execute(job: StoredCronJob): Promise<CronRunOutcome>;
  /** Announces a change (the `cron` event). */
  emit(event: CronEventPayload): void;
  /** `cron.enabled`: false keeps the jobs and methods but never runs a job on its own. */
  enabled?: boolean;
  /** `cron.maxConcurrentRuns` (default 1). */
  maxConcurrentRuns?: number;
  /** Several processes (a cluster): only the leader runs jobs on their schedule; `cron.run` still runs where it is asked. */
  leadership?: Leadership;
}

/**
 * Timers are re-armed at most this far ahead, so a wall-clock jump (sleep, NTP) is noticed
 * within a minute instead of whenever a long monotonic timer fires.
 */
const MAX_TIMER_MS = 60_000;
/** How long a job waits before it tries again when its run could not be recorded as started. */
const SAVE_RETRY_MS = 60_000;

/**
 * The jobs and their timing. One timer, armed on the injected clock for the earliest due job;
 * croner only computes run times. A job that came due while the gateway was down runs once at
 * start (never once per missed slot); a run the gateway stopped in the middle of is logged as an
 * error.
 *
 * In a cluster (shared store and a leadership) every process keeps the jobs, reloading them when
 * another one changes the file, and saves only the jobs it changed (see {@link CronJobStore.merge});
 * only the leader arms the timer. A new leader does what a start does: settles runs the previous
 * one was in the middle of and runs once what came due meanwhile.
 */
export class CronScheduler {
  readonly #o: CronSchedulerOptions;
  readonly #jobs = new Map<string, StoredCronJob>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #max: number;
  #timer?: TimerHandle;
  #nextWakeAtMs: number | null = null;
  #saving: Promise<void> = Promise.resolve();
  #started = false;
  #stopped = false;
  /** Shared store: jobs changed here and not yet merged into the file (id -> change number). */
  readonly #changed = new Map<string, number>();
  #changes = 0;
  #off: Array<() => void> = [];
  /** Leading, and done settling what the previous leader left: only then does the timer run jobs. */
  #inCharge = false;

  constructor(options: CronSchedulerOptions) {
    this.#o = options;
    this.#max = Math.max(1, options.maxConcurrentRuns ?? 1);
  }

  get enabled(): boolean {
    return this.#o.enabled !== false;
  }

  get storePath(): string {
    return this.#o.store.path;
  }

  /** When the scheduler next looks for due jobs; null when it will not (disabled, or nothing scheduled). */
  get nextWakeAtMs(): number | null {
    return this.#nextWakeAtMs;
  }

  jobs(): StoredCronJob[] {
    return [...this.#jobs.values()];
  }

  get(id: string): StoredCronJob | undefined {
    return this.#jobs.get(id);
  }

  /** Loads the jobs; when leading (always, outside a cluster), settles runs a stop interrupted and arms the timer. */
  async start(): Promise<void> {
    for (const job of await this.#o.store.load()) this.#jobs.set(job.id, job);
    const { store, leadership } = this.#o;
    if (store.shared) this.#off.push(store.onExternalChange(() => this.#reload()));
    if (leadership)
      this.#off.push(leadership.onChange((leading) => (leading ? this.#lead() : this.#stepDown())));
    this.#started = true;
    if (this.#leading) await this.#takeOver();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const off of this.#off.splice(0)) off();
    this.#disarm();
    await this.#saving;
  }

  get #leading(): boolean {
    return this.#o.leadership?.leading !== false;
  }

  async #takeOver(): Promise<void> {
    const now = this.#o.clock.now();
    for (const job of [...this.#jobs.values()]) {
      if (job.state.runningAtMs !== undefined && !this.#running.has(job.id))
        await this.#settleInterrupted(job, now);
      // A persisted past nextRunAtMs stays: that job is due and runs once now.
      else if (job.state.nextRunAtMs === undefined || !job.enabled) {
        const before = job.state.nextRunAtMs;
        setNext(job, firstRun(job, now));
        if (job.state.nextRunAtMs !== before) this.#mark(job.id);
      }
    }
    await this.#save();
    this.#inCharge = this.#leading;
    this.#tick();
  }

  #stepDown(): void {
    this.#inCharge = false;
    this.#disarm();
  }

  /** Became the leader: takes over from the file as it is now. */
  #lead(): void {
    this.#serial(() => this.#load())
      .then(() => {
        if (this.#started && !this.#stopped && this.#leading) return this.#takeOver();
      })
      .catch((err: unknown) =>
        this.#o.logger.log("error", "cron", `taking over the cron jobs failed: ${(err as Error).message}`),
      );
  }

  /** Another process changed the file: reload it in turn with the saves (a failed read keeps what we had). */
  #reload(): void {
    this.#serial(() => this.#load()).then(
      () => this.#tick(),
      (err: unknown) =>
        this.#o.logger.log("error", "cron", `reloading ${this.storePath} failed: ${(err as Error).message}`),
    );
  }

  /** The file's jobs, keeping what this process has not saved yet. */
  async #load(): Promise<void> {
    this.#adopt(await this.#o.store.load());
  }

  async add(params: CronAddParams): Promise<StoredCronJob> {
    const job = createJob(params, this.#o.clock.now());
    this.#jobs.set(job.id, job);
    this.#mark(job.id);
    await this.#save();
    this.#o.emit({ jobId: job.id, action: "added", ...nextOf(job) });
    this.#tick();
    return job;
  }

  async update(id: string, patch: CronJobPatch): Promise<StoredCronJob> {
    const job = this.#require(id);
    const next = patchJob(job, patch, this.#o.clock.now());
    this.#jobs.set(id, next);
    this.#mark(id);
    await this.#save();
    this.#o.emit({ jobId: id, action: "updated", ...nextOf(next) });
    this.#tick();
    return next;
  }

  async remove(id: string): Promise<boolean> {
    if (!this.#jobs.delete(id)) return false;
    this.#mark(id);
    await this.#save();
    await this.#o.runLog.remove(id);
    this.#o.emit({ jobId: id, action: "removed" });
    this.#tick();
    return true;
  }

  /**
   * `cron.run`: "force" (default) runs now; "due" only when the job is due; "if-enabled" only when
   * it is enabled. Resolves once the run finished.
   */
  async run(
    id: string,
    mode: "due" | "force" | "if-enabled" = "force",
  ): Promise<{ ran: boolean; reason?: "not-due" | "disabled" }> {
    const job = this.#require(id);
    if (mode === "if-enabled" && !job.enabled)
      return { ran: false, reason: "disabled" };
    if (
      mode === "due" &&
      !(
        job.enabled &&
        job.state.nextRunAtMs !== undefined &&
        job.state.nextRunAtMs <= this.#o.clock.now()
      )
    ) {
      return { ran: false, reason: "not-due" };
    }
    const running = this.#running.get(id);
    if (running) {
      await running;
      return { ran: true };
    }
    this.#start(job);
    await this.#running.get(id);
    return { ran: true };
  }

  runs(id: string): Promise<CronRunLogEntry[]> {
    return this.#o.runLog.read(id);
  }

  #require(id: string): StoredCronJob {
    const job = this.#jobs.get(id);
    if (!job) throw invalidRequest(`unknown cron job id: ${id}`, { jobId: id });
    return job;
  }

  /** Starts what is due (up to the concurrency limit) and arms the timer for the next one. */
  #tick(): void {
    this.#disarm();
    if (!this.#started || this.#stopped || !this.enabled || !this.#inCharge) return;
    const now = this.#o.clock.now();
    const due = this.jobs()
      .filter(
        (j) =>
          j.enabled &&
          j.state.nextRunAtMs !== undefined &&
          j.state.nextRunAtMs <= now &&
          !this.#running.has(j.id),
      )
      .sort((a, b) => a.state.nextRunAtMs! - b.state.nextRunAtMs!);
    for (const job of due) {
      if (this.#running.size >= this.#max) break;
      this.#start(job);
    }
    let next: number | undefined;
    for (const job of this.#jobs.values()) {
      const at = job.state.nextRunAtMs;
      if (
        job.enabled &&
        at !== undefined &&
        !this.#running.has(job.id) &&
        (next === undefined || at < next)
      )
        next = at;
    }
    // With every slot busy, a finishing run ticks again; due jobs wait for it.
    if (next === undefined || (next <= now && this.#running.size >= this.#max))
      return;
    this.#nextWakeAtMs = Math.max(next, now);
    this.#timer = this.#o.clock.setTimeout(
      () => this.#tick(),
      Math.min(Math.max(0, next - now), MAX_TIMER_MS),
    );
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextWakeAtMs = null;
  }

  /** Runs the job in the background; `#running` holds the run (it never rejects) until it finished. */
  #start(job: StoredCronJob): void {
    const run = this.#execute(job)
      .catch((err: unknown) =>
        this.#o.logger.log(
          "error",
          "cron",
          `job ${job.id} (${job.name}): ${(err as Error).message}`,
        ),
      )
      .finally(() => {
        this.#running.delete(job.id);
        this.#tick();
      });
    this.#running.set(job.id, run);
  }

  async #execute(job: StoredCronJob): Promise<void> {
    const startedAt = this.#o.clock.now();
    job.state.runningAtMs = startedAt;
    this.#mark(job.id);
    try {
      await this.#save();
    } catch (err) {
      // Not run: tried again a minute later rather than at once, so a full disk does not spin.
      delete job.state.runningAtMs;
      job.state.nextRunAtMs = startedAt + SAVE_RETRY_MS;
      throw err;
    }
    this.#o.emit({ jobId: job.id, action: "started", runAtMs: startedAt });
    const outcome = await this.#o.execute(job);
    if (this.#stopped) return; // left marked running: the next start logs it as interrupted
    const endedAt = this.#o.clock.now();
    await this.#finish(job, startedAt, endedAt, outcome);
  }

  async #finish(
    job: StoredCronJob,
    startedAt: number,
    endedAt: number,
    outcome: CronRunOutcome,
  ): Promise<void> {
    const current = this.#jobs.get(job.id);
    const durationMs = Math.max(0, endedAt - startedAt);
    let nextRunAtMs: number | undefined;
    if (current) {
      const state = current.state;
      delete state.runningAtMs;
      Object.assign(state, {
        lastRunAtMs: startedAt,
        lastStatus: outcome.status,
        lastDurationMs: durationMs,
      });
      setOrDelete(state, "lastError", outcome.error);
      state.consecutiveErrors =
        outcome.status === "error" ? (state.consecutiveErrors ?? 0) + 1 : 0;
      setOrDelete(state, "lastDeliveryStatus", outcome.deliveryStatus);
      setOrDelete(state, "lastDeliveryError", outcome.deliveryError);
      if (current.schedule.kind === "at") {
        // A one-shot has had its run: it goes (deleteAfterRun) or stays, disabled, for the record.
        if (current.deleteAfterRun) this.#jobs.delete(current.id);
        else current.enabled = false;
      }
      setNext(current, firstRun(current, endedAt));
      nextRunAtMs = current.state.nextRunAtMs;
      this.#mark(current.id);
      await this.#save();
    }
    // A job removed while it ran took its run log with it: nothing to write back into.
    if (!current) return;
    const entry: CronRunLogEntry = {
      ts: endedAt,
      jobId: job.id,
      action: "finished",
      status: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.summary ? { summary: outcome.summary } : {}),
      runAtMs: startedAt,
      durationMs,
      ...(nextRunAtMs !== undefined ? { nextRunAtMs } : {}),
      ...(outcome.deliveryStatus
        ? {
            deliveryStatus: outcome.deliveryStatus,
            delivered: outcome.deliveryStatus === "delivered",
          }
        : {}),
      ...(outcome.deliveryError
        ? { deliveryError: outcome.deliveryError }
        : {}),
      ...(outcome.sessionId ? { sessionId: outcome.sessionId } : {}),
      ...(outcome.sessionKey ? { sessionKey: outcome.sessionKey } : {}),
      ...(outcome.runId ? { runId: outcome.runId } : {}),
      ...(outcome.model ? { model: outcome.model } : {}),
      ...(outcome.provider ? { provider: outcome.provider } : {}),
      jobName: job.name,
    };
    try {
      await this.#o.runLog.append(entry);
    } catch (err) {
      this.#o.logger.log(
        "warn",
        "cron",
        `run log of job ${job.id} not written: ${(err as Error).message}`,
      );
    }
    this.#o.emit({
      jobId: job.id,
      action: "finished",
      status: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.summary ? { summary: outcome.summary } : {}),
      runAtMs: startedAt,
      durationMs,
      ...(nextRunAtMs !== undefined ? { nextRunAtMs } : {}),
    });
    if (current?.deleteAfterRun && current.schedule.kind === "at")
      this.#o.emit({ jobId: job.id, action: "removed" });
  }

  async #settleInterrupted(job: StoredCronJob, now: number): Promise<void> {
    const startedAt = job.state.runningAtMs!;
    this.#o.logger.log(
      "warn",
      "cron",
      `job ${job.id} (${job.name}) was running when the gateway stopped; logged as an error`,
    );
    await this.#finish(job, startedAt, now, {
      status: "error",
      error: "interrupted: the gateway stopped during the run",
    });
  }

  /** Writes the jobs file; saves queue behind each other so the last one holds the newest state. */
  #save(): Promise<void> {
    const next = this.#serial(() => this.#write());
    next.catch((err: unknown) =>
      this.#o.logger.log(
        "error",
        "cron",
        `saving ${this.storePath} failed: ${(err as Error).message}`,
      ),
    );
    return next;
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const next = this.#saving.catch(() => undefined).then(task);
    this.#saving = next.catch(() => undefined);
    return next;
  }

  async #write(): Promise<void> {
    const { store } = this.#o;
    if (!store.shared) return store.save(this.#jobs.values());
    const changed = new Map(this.#changed);
    if (changed.size === 0) return;
    const stored = await store.merge(this.#jobs, changed.keys());
    for (const [id, n] of changed)
      if (this.#changed.get(id) === n) this.#changed.delete(id);
    this.#adopt(stored);
  }

  /** The file's jobs become the live ones, except those changed here since (not merged yet). */
  #adopt(stored: StoredCronJob[]): void {
    const next = new Map<string, StoredCronJob>();
    for (const job of stored) {
      const local = this.#changed.has(job.id) ? this.#jobs.get(job.id) : job;
      if (local) next.set(job.id, local);
    }
    for (const id of this.#changed.keys()) {
      const local = this.#jobs.get(id);
      if (local && !next.has(id)) next.set(id, local);
    }
    this.#jobs.clear();
    for (const [id, job] of next) this.#jobs.set(id, job);
  }

  #mark(id: string): void {
    if (this.#o.store.shared) this.#changed.set(id, ++this.#changes);
  }
}

function setNext(job: StoredCronJob, next: number | undefined): void {
  setOrDelete(job.state, "nextRunAtMs", next);
}

function nextOf(job: StoredCronJob): { nextRunAtMs?: number } {
  return job.state.nextRunAtMs === undefined
    ? {}
    : { nextRunAtMs: job.state.nextRunAtMs };
}

function setOrDelete<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}
