import { randomUUID } from "node:crypto";
import { invalidRequest } from "../errors.js";
import type {
  CronAddParams,
  CronAgentTurnPayload,
  CronDeliveryStatus,
  CronIsolation,
  CronJob,
  CronJobPatch,
  CronJobState,
  CronPayload,
  CronRunLogEntry,
  CronRunStatus,
} from "../protocol/generated/types.js";
import { normalizeAgentId } from "../sessions/session-keys.js";
import {
  nextRunAt,
  normalizeSchedule,
  type CronScheduleSpec,
} from "./cron-schedule.js";

/** Where an agent turn's reply goes (v4's `delivery`; the seed's `payload.deliver|channel|to|bestEffortDeliver`). */
export interface StoredDelivery {
  mode: "none" | "announce";
  channel?: string;
  to?: string;
  accountId?: string;
  bestEffort?: boolean;
}

export type StoredPayload =
  | { kind: "systemEvent"; text: string }
  | {
      kind: "agentTurn";
      message: string;
      model?: string;
      thinking?: string;
      timeoutSeconds?: number;
    };

export interface StoredJobState {
  nextRunAtMs?: number;
  runningAtMs?: number;
  lastRunAtMs?: number;
  lastStatus?: CronRunStatus;
  lastError?: string;
  lastDurationMs?: number;
  consecutiveErrors?: number;
  lastDeliveryStatus?: CronDeliveryStatus;
  lastDeliveryError?: string;
}

/** A job as `jobs.json` keeps it: one spelling, rendered per protocol on the way out. */
export interface StoredCronJob {
  id: string;
  agentId?: string;
  name: string;
  description?: string;
  enabled: boolean;
  deleteAfterRun?: boolean;
  createdAtMs: number;
  updatedAtMs: number;
  schedule: CronScheduleSpec;
  sessionTarget: "main" | "isolated";
  wakeMode: "next-heartbeat" | "now";
  payload: StoredPayload;
  delivery?: StoredDelivery;
  isolation?: CronIsolation;
  state: StoredJobState;
}

/** A new job from `cron.add` params, its first run time computed from `nowMs`. */
export function createJob(params: CronAddParams, nowMs: number): StoredCronJob {
  const job: StoredCronJob = {
    id: randomUUID(),
    ...(params.agentId ? { agentId: normalizeAgentId(params.agentId) } : {}),
    name: params.name.trim() || params.name,
    ...(params.description !== undefined
      ? { description: params.description }
      : {}),
    enabled: params.enabled ?? true,
    ...(params.deleteAfterRun !== undefined
      ? { deleteAfterRun: params.deleteAfterRun }
      : {}),
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    schedule: normalizeSchedule(params.schedule, nowMs),
    sessionTarget: params.sessionTarget,
    wakeMode: params.wakeMode,
    payload: storedPayload(params.payload),
    ...withDelivery(deliveryOf(params.payload, params.delivery)),
    ...(params.isolation ? { isolation: params.isolation } : {}),
    state: {},
  };
  checkJob(job);
  job.state.nextRunAtMs = firstRun(job, nowMs);
  return job;
}

/** `cron.update`: the patched copy; a changed schedule or enabled flag gets a new next run time. */
export function patchJob(
  job: StoredCronJob,
  patch: CronJobPatch,
  nowMs: number,
): StoredCronJob {
  const next: StoredCronJob = {
    ...job,
    state: { ...job.state },
    updatedAtMs: nowMs,
  };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.agentId === null) delete next.agentId;
  else if (patch.agentId !== undefined)
    next.agentId = normalizeAgentId(patch.agentId);
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.enabled !== undefined) next.enabled = patch.enabled;
  if (patch.deleteAfterRun !== undefined)
    next.deleteAfterRun = patch.deleteAfterRun;
  if (patch.schedule !== undefined)
    next.schedule = normalizeSchedule(patch.schedule, nowMs);
  if (patch.sessionTarget !== undefined)
    next.sessionTarget = patch.sessionTarget;
  if (patch.wakeMode !== undefined) next.wakeMode = patch.wakeMode;
  if (patch.isolation !== undefined) next.isolation = patch.isolation;
  if (patch.payload !== undefined) {
    next.payload = storedPayload(patch.payload);
    // A seed-era payload carries its delivery; a v4 one leaves the job's delivery as it was.
    if (patch.payload.kind === "agentTurn" && hasSeedDelivery(patch.payload))
      Object.assign(next, withDelivery(deliveryOf(patch.payload, undefined)));
  }
  if (patch.delivery !== undefined)
    Object.assign(next, withDelivery(deliveryOf(undefined, patch.delivery)));
  if (next.delivery === undefined) delete next.delivery;
  checkJob(next);
  if (patch.schedule !== undefined || patch.enabled !== undefined)
    next.state.nextRunAtMs = firstRun(next, nowMs);
  if (next.state.nextRunAtMs === undefined) delete next.state.nextRunAtMs;
  return next;
}

/** The next run of an enabled job counted from `nowMs`; undefined for a disabled one. */
export function firstRun(
  job: StoredCronJob,
  nowMs: number,
): number | undefined {
  return job.enabled
    ? nextRunAt(job.schedule, nowMs, job.createdAtMs)
    : undefined;
}

function checkJob(job: StoredCronJob): void {
  if (job.sessionTarget === "isolated" && job.payload.kind !== "agentTurn") {
    throw invalidRequest(
      'isolated cron jobs run an agent turn: payload.kind must be "agentTurn" (use sessionTarget "main" for a system event)',
    );
  }
  if (job.payload.kind === "systemEvent" && job.delivery?.mode === "announce") {
    throw invalidRequest(
      "delivery applies to agent turns; a system event goes to the main session",
    );
  }
}

function storedPayload(payload: CronPayload): StoredPayload {
  if (payload.kind === "systemEvent")
    return { kind: "systemEvent", text: payload.text };
  return {
    kind: "agentTurn",
    message: payload.message,
    ...(payload.model ? { model: payload.model } : {}),
    ...(payload.thinking ? { thinking: payload.thinking } : {}),
    ...(payload.timeoutSeconds !== undefined
      ? { timeoutSeconds: payload.timeoutSeconds }
      : {}),
  };
}

function hasSeedDelivery(payload: CronAgentTurnPayload): boolean {
  return (
    payload.deliver !== undefined ||
    payload.channel !== undefined ||
    payload.to !== undefined ||
    payload.bestEffortDeliver !== undefined
  );
}

function deliveryOf(
  payload: CronPayload | undefined,
  delivery: CronAddParams["delivery"],
): StoredDelivery | undefined {
  if (delivery) {
    if (delivery.mode === "webhook")
      throw invalidRequest(
        'webhook delivery is not supported by this gateway; use mode "announce" with a channel',
      );
    return compact({
      mode: delivery.mode,
      channel: delivery.channel,
      to: delivery.to,
      accountId: delivery.accountId,
      bestEffort: delivery.bestEffort,
    });
  }
  if (payload?.kind !== "agentTurn" || !hasSeedDelivery(payload))
    return undefined;
  return compact<StoredDelivery>({
    mode: payload.deliver ? "announce" : "none",
    channel: payload.channel,
    to: payload.to,
    bestEffort: payload.bestEffortDeliver,
  });
}

function withDelivery(delivery: StoredDelivery | undefined): {
  delivery?: StoredDelivery;
} {
  return delivery ? { delivery } : { delivery: undefined };
}

function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[])
    if (value[key] === undefined) delete value[key];
  return value;
}

/**
 * The job as a client of `protocol` reads it: protocol 3 gets the seed shape (schedule.atMs,
 * delivery inside the payload, isolation); protocol 4 gets v4's (schedule.at as an ISO time,
 * `delivery`, `state.lastRunStatus`).
 */
export function renderJob(job: StoredCronJob, protocol: number): CronJob {
  const base = {
    id: job.id,
    ...(job.agentId ? { agentId: job.agentId } : {}),
    name: job.name,
    ...(job.description !== undefined ? { description: job.description } : {}),
    enabled: job.enabled,
    ...(job.deleteAfterRun !== undefined
      ? { deleteAfterRun: job.deleteAfterRun }
      : {}),
    createdAtMs: job.createdAtMs,
    updatedAtMs: job.updatedAtMs,
    sessionTarget: job.sessionTarget,
    wakeMode: job.wakeMode,
  };
  if (protocol >= 4) {
    const schedule =
      job.schedule.kind === "at"
        ? { kind: "at" as const, at: new Date(job.schedule.atMs).toISOString() }
        : job.schedule;
    return {
      ...base,
      schedule,
      payload: job.payload,
      ...(job.delivery ? { delivery: job.delivery } : {}),
      state: renderState(job.state, true),
    };
  }
  const payload: CronPayload =
    job.payload.kind === "agentTurn" && job.delivery
      ? compact({
          ...job.payload,
          deliver: job.delivery.mode === "announce",
          channel: job.delivery.channel,
          to: job.delivery.to,
          bestEffortDeliver: job.delivery.bestEffort,
        })
      : job.payload;
  return {
    ...base,
    schedule: job.schedule,
    payload,
    ...(job.isolation ? { isolation: job.isolation } : {}),
    state: renderState(job.state, false),
  };
}

function renderState(state: StoredJobState, v4: boolean): CronJobState {
  const seed: CronJobState = compact({
    nextRunAtMs: state.nextRunAtMs,
    runningAtMs: state.runningAtMs,
    lastRunAtMs: state.lastRunAtMs,
    lastStatus: state.lastStatus,
    lastError: state.lastError,
    lastDurationMs: state.lastDurationMs,
  });
  if (!v4) return seed;
  return compact({
    ...seed,
    lastRunStatus: state.lastStatus,
    consecutiveErrors: state.consecutiveErrors,
    lastDelivered:
      state.lastDeliveryStatus === undefined
        ? undefined
        : state.lastDeliveryStatus === "delivered",
    lastDeliveryStatus: state.lastDeliveryStatus,
    lastDeliveryError: state.lastDeliveryError,
  });
}

const SEED_RUN_FIELDS = [
  "ts",
  "jobId",
  "action",
  "status",
  "error",
  "summary",
  "runAtMs",
  "durationMs",
  "nextRunAtMs",
] as const;

/** A run log entry for `protocol`: protocol 3 gets the seed's fields only. */
export function renderRunEntry(
  entry: CronRunLogEntry,
  protocol: number,
): CronRunLogEntry {
  if (protocol >= 4) return entry;
  const out: Record<string, unknown> = {};
  for (const key of SEED_RUN_FIELDS)
    if (entry[key] !== undefined) out[key] = entry[key];
  return out as unknown as CronRunLogEntry;
}
