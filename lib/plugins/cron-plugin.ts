import { CronJobStore } from "../cron/cron-job-store.js";
import {
  renderJob,
  renderRunEntry,
  type StoredCronJob,
} from "../cron/cron-job.js";
import { CronRunLog } from "../cron/cron-run-log.js";
import { CronScheduler } from "../cron/cron-scheduler.js";
import { invalidRequest } from "../errors.js";
import type { Leadership } from "../lease-leadership.js";
import type { GatewayHost, GatewayPlugin } from "../plugin.js";
import type {
  CronListParams,
  CronRunLogEntry,
  CronRunsParams,
} from "../protocol/generated/types.js";
import type { MethodContext } from "../method-context.js";
import type { AppendStorage } from "../storage.js";

export interface CronPluginOptions {
  /** Storage rooted at the jobs file's folder (`<state>/cron/` by default); run logs go to `runs/` in it. */
  storage: AppendStorage;
  /** The jobs file's key in `storage` (default `jobs.json`). */
  key?: string;
  /** `cron.enabled` (default true). */
  enabled?: boolean;
  /** `cron.maxConcurrentRuns` (default 1). */
  maxConcurrentRuns?: number;
  /** Run log entries kept per job (default 2000). */
  maxRunLogEntries?: number;
  /** Several processes (a cluster): jobs run on their schedule only in the leader. */
  leadership?: Leadership;
}

/** What a seed-era `cron.runs` answers when it names no limit. */
const DEFAULT_RUNS_LIMIT = 200;

/**
 * Cron jobs: `cron.status|list|add|update|remove|run|runs`, the `cron` event, and the scheduler
 * that runs them through `agent`, `send` and `system-event`/`wake` (docs/protocol.md, Cron).
 */
export function cronPlugin(options: CronPluginOptions): GatewayPlugin {
  let scheduler: CronScheduler | undefined;
  return {
    name: "cron",
    setup(gateway) {
      scheduler = new CronScheduler({
        store: new CronJobStore({
          storage: options.storage,
          key: options.key,
          logger: gateway.logger,
        }),
        runLog: new CronRunLog({
          storage: options.storage,
          maxEntries: options.maxRunLogEntries,
        }),
        clock: gateway.clock,
        logger: gateway.logger,
        // What a run does (agent turn, delivery) loads when a job first runs.
        execute: async (job) => (await import("../cron/cron-job-runner.js")).runCronJob(gateway, job),
        emit: (event) => gateway.broadcast("cron", event),
        enabled: options.enabled,
        maxConcurrentRuns: options.maxConcurrentRuns,
        leadership: options.leadership,
      });
      registerCronMethods(gateway, scheduler);
    },
    start: () => scheduler?.start(),
    stop: () => scheduler?.stop(),
  };
}

function registerCronMethods(
  gateway: GatewayHost,
  scheduler: CronScheduler,
): void {
  gateway.registerMethod("cron.status", () => ({
    enabled: scheduler.enabled,
    storePath: scheduler.storePath,
    jobs: scheduler.jobs().length,
    nextWakeAtMs: scheduler.nextWakeAtMs,
  }));

  gateway.registerMethod("cron.list", (params, ctx) => ({
    jobs: listJobs(scheduler.jobs(), params, gateway.defaultAgentId).map(
      (job) => renderJob(job, protocolOf(ctx)),
    ),
  }));

  gateway.registerMethod("cron.add", async (params, ctx) =>
    renderJob(await scheduler.add(params), protocolOf(ctx)),
  );

  gateway.registerMethod("cron.update", async (params, ctx) => {
    const id = "id" in params ? params.id : params.jobId;
    return renderJob(await scheduler.update(id, params.patch), protocolOf(ctx));
  });

  gateway.registerMethod("cron.remove", async (params) => ({
    ok: true as const,
    removed: await scheduler.remove("id" in params ? params.id : params.jobId),
  }));

  gateway.registerMethod("cron.run", async (params) => {
    const outcome = await scheduler.run(
      "id" in params ? params.id : params.jobId,
      params.mode,
    );
    return { ok: true as const, ...outcome };
  });

  gateway.registerMethod("cron.runs", async (params, ctx) => {
    const id =
      "id" in params ? params.id : "jobId" in params ? params.jobId : undefined;
    let entries: CronRunLogEntry[];
    if (id !== undefined && params.scope !== "all") {
      if (!scheduler.get(id))
        throw invalidRequest(`unknown cron job id: ${id}`, { jobId: id });
      entries = await scheduler.runs(id);
    } else {
      const jobs = scheduler
        .jobs()
        .filter(
          (j) =>
            !params.agentId ||
            (j.agentId ?? gateway.defaultAgentId) === params.agentId,
        );
      entries = (await Promise.all(jobs.map((j) => scheduler.runs(j.id))))
        .flat()
        .sort((a, b) => a.ts - b.ts);
    }
    return {
      entries: pageRuns(entries.filter(runFilter(params)), params).map((e) =>
        renderRunEntry(e, protocolOf(ctx)),
      ),
    };
  });
}

/** The caller's protocol; in-process calls read the seed shape. */
function protocolOf(ctx: MethodContext<unknown>): number {
  return ctx.session?.protocol ?? 3;
}

/** Seed: enabled jobs unless `includeDisabled`; v4's filters, sort and paging on top. */
function listJobs(
  jobs: StoredCronJob[],
  params: CronListParams,
  defaultAgentId: string,
): StoredCronJob[] {
  const enabled =
    params.enabled ?? (params.includeDisabled ? "all" : "enabled");
  const query = params.query?.trim().toLowerCase();
  const filtered = jobs.filter(
    (j) =>
      (enabled === "all" || j.enabled === (enabled === "enabled")) &&
      (!params.scheduleKind ||
        params.scheduleKind === "all" ||
        j.schedule.kind === params.scheduleKind) &&
      (!params.lastRunStatus ||
        params.lastRunStatus === "all" ||
        (j.state.lastStatus ?? "unknown") === params.lastRunStatus) &&
      (!params.agentId || (j.agentId ?? defaultAgentId) === params.agentId) &&
      (!query ||
        [j.id, j.name, j.description ?? ""].some((s) =>
          s.toLowerCase().includes(query),
        )),
  );
  const sortBy = params.sortBy ?? "nextRunAtMs";
  const dir = params.sortDir === "desc" ? -1 : 1;
  const key = (j: StoredCronJob): number | string =>
    sortBy === "name"
      ? j.name.toLowerCase()
      : sortBy === "updatedAtMs"
        ? j.updatedAtMs
        : (j.state.nextRunAtMs ?? Number.MAX_SAFE_INTEGER);
  filtered.sort((a, b) =>
    key(a) < key(b)
      ? -dir
      : key(a) > key(b)
        ? dir
        : a.createdAtMs - b.createdAtMs,
  );
  const offset = params.offset ?? 0;
  return filtered.slice(
    offset,
    params.limit === undefined ? undefined : offset + params.limit,
  );
}

function runFilter(
  params: CronRunsParams,
): (entry: CronRunLogEntry) => boolean {
  const statuses =
    params.statuses ??
    (params.status && params.status !== "all" ? [params.status] : undefined);
  const deliveries =
    params.deliveryStatuses ??
    (params.deliveryStatus ? [params.deliveryStatus] : undefined);
  const query = params.query?.trim().toLowerCase();
  return (e) =>
    (!statuses || (e.status !== undefined && statuses.includes(e.status))) &&
    (!deliveries || deliveries.includes(e.deliveryStatus ?? "not-requested")) &&
    (!params.runId || e.runId === params.runId) &&
    (!query ||
      [e.summary, e.error, e.jobName].some((s) =>
        s?.toLowerCase().includes(query),
      ));
}

/** The newest `limit` entries (after skipping `offset` newest), oldest first unless `sortDir` is "desc". */
function pageRuns(
  entries: CronRunLogEntry[],
  params: CronRunsParams,
): CronRunLogEntry[] {
  const limit = params.limit ?? DEFAULT_RUNS_LIMIT;
  const end = Math.max(0, entries.length - (params.offset ?? 0));
  const page = entries.slice(Math.max(0, end - limit), end);
  return params.sortDir === "desc" ? page.reverse() : page;
}
