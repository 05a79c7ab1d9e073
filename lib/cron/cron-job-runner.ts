import { randomUUID } from "node:crypto";
import type { GatewayHost } from "../plugin.js";
import type {
  CronDeliveryStatus,
  CronRunStatus,
} from "../protocol/generated/types.js";
import { agentsService } from "../services.js";
import type { StoredCronJob, StoredDelivery } from "./cron-job.js";

/** What one run did, before the scheduler adds timing and the next run. */
export interface CronRunOutcome {
  status: CronRunStatus;
  error?: string;
  summary?: string;
  deliveryStatus?: CronDeliveryStatus;
  deliveryError?: string;
  runId?: string;
  sessionKey?: string;
  sessionId?: string;
  model?: string;
  provider?: string;
}

const SUMMARY_MAX_CHARS = 2000;
const POST_TO_MAIN_MAX_CHARS = 8000;
const LABEL_MAX_CHARS = 64;

/**
 * Runs a job through the other features' wire methods: `agent` for turns, `send` for delivery,
 * `system-event` (or `wake` for wakeMode "now", when a heartbeat runner serves it) for the main
 * session. Never throws: a failure is the outcome's `error`.
 */
export async function runCronJob(
  host: GatewayHost,
  job: StoredCronJob,
): Promise<CronRunOutcome> {
  try {
    if (job.payload.kind === "systemEvent") {
      await postToMainSession(host, job.payload.text, job.wakeMode);
      return {
        status: "ok",
        summary: clip(job.payload.text, SUMMARY_MAX_CHARS),
        deliveryStatus: "not-requested",
      };
    }
    return await runAgentTurn(host, job, job.payload);
  } catch (err) {
    return { status: "error", error: (err as Error).message };
  }
}

async function runAgentTurn(
  host: GatewayHost,
  job: StoredCronJob,
  payload: Extract<StoredCronJob["payload"], { kind: "agentTurn" }>,
): Promise<CronRunOutcome> {
  const isolated = job.sessionTarget === "isolated";
  const runId = `cron:${job.id}:${randomUUID()}`;
  const label = `Cron: ${job.name}`;
  const final = await host.call("agent", {
    message: payload.message,
    idempotencyKey: runId,
    ...(job.agentId ? { agentId: job.agentId } : {}),
    // An isolated run starts a fresh transcript under the job's own key each time.
    sessionKey: isolated ? `cron:${job.id}` : "main",
    ...(isolated
      ? { sessionId: randomUUID(), label: label.slice(0, LABEL_MAX_CHARS) }
      : {}),
    ...(payload.thinking ? { thinking: payload.thinking } : {}),
    ...(payload.model ? { model: payload.model } : {}),
    ...(payload.timeoutSeconds
      ? { timeout: Math.ceil(payload.timeoutSeconds) }
      : {}),
  });
  if (final.status !== "ok")
    return { status: "error", error: "the agent run was not finished", runId };
  const text = final.result.payloads
    .map((p) => p.text)
    .filter(Boolean)
    .join("\n\n");
  const meta = final.result.meta.agentMeta;
  const outcome: CronRunOutcome = {
    status: "ok",
    ...(text ? { summary: clip(text, SUMMARY_MAX_CHARS) } : {}),
    runId: final.runId,
    sessionKey: `agent:${job.agentId ?? host.defaultAgentId}:${isolated ? `cron:${job.id}` : "main"}`,
    ...(meta?.sessionId ? { sessionId: meta.sessionId } : {}),
    ...(meta?.model ? { model: meta.model } : {}),
    ...(meta?.provider ? { provider: meta.provider } : {}),
  };
  const delivery = await deliver(host, job, text);
  outcome.deliveryStatus = delivery.status;
  if (delivery.error) {
    outcome.deliveryError = delivery.error;
    if (!job.delivery?.bestEffort)
      Object.assign(outcome, {
        status: "error",
        error: `delivery failed: ${delivery.error}`,
      });
  }
  if (isolated && text) {
    const post = postToMainText(job, text);
    if (post) await postToMainSession(host, post, job.wakeMode);
  }
  return outcome;
}

/** An isolated run leaves a note in the main session (`isolation.postToMain*`), so the main agent knows. */
function postToMainText(job: StoredCronJob, text: string): string | undefined {
  const max = job.isolation?.postToMainMaxChars ?? POST_TO_MAIN_MAX_CHARS;
  if (max === 0) return undefined;
  const body =
    job.isolation?.postToMainMode === "full"
      ? text
      : (text.split(/\n\s*\n/)[0] ?? text);
  return clip(
    `${job.isolation?.postToMainPrefix ?? "Cron"}: ${body.trim()}`,
    max,
  );
}

async function postToMainSession(
  host: GatewayHost,
  text: string,
  wakeMode: StoredCronJob["wakeMode"],
): Promise<void> {
  if (wakeMode === "now" && host.hasMethod("wake")) {
    // `wake` queues the text as a system event itself, then runs a heartbeat turn now. Its schema
    // belongs to the heartbeat feature, so the call is made untyped.
    const call = host.call as unknown as (
      method: string,
      params: unknown,
    ) => Promise<unknown>;
    await call("wake", { mode: "now", text });
    return;
  }
  await host.call("system-event", { text });
}

async function deliver(
  host: GatewayHost,
  job: StoredCronJob,
  text: string,
): Promise<{ status: CronDeliveryStatus; error?: string }> {
  const delivery = job.delivery;
  if (delivery?.mode !== "announce") return { status: "not-requested" };
  if (!text)
    return {
      status: "not-delivered",
      error: "the run produced no text to deliver",
    };
  const route = resolveRoute(host, job, delivery);
  if (!route)
    return {
      status: "not-delivered",
      error:
        'no delivery target: set "to" (and "channel"), or talk to the agent on a channel first for "last"',
    };
  if (!host.hasMethod("send"))
    return {
      status: "not-delivered",
      error: "no messaging channel provides the send method",
    };
  try {
    await host.call("send", {
      to: route.to,
      message: text,
      idempotencyKey: `cron:${job.id}:deliver:${randomUUID()}`,
      ...(route.channel ? { channel: route.channel } : {}),
      ...(route.accountId ? { accountId: route.accountId } : {}),
    });
    return { status: "delivered" };
  } catch (err) {
    return { status: "not-delivered", error: (err as Error).message };
  }
}

interface Route {
  channel?: string;
  to: string;
  accountId?: string;
}

/**
 * An explicit `to` goes out as given; otherwise (or with channel "last") the route is the one the
 * agent last talked on: its main session's, else its most recently updated session's.
 */
function resolveRoute(
  host: GatewayHost,
  job: StoredCronJob,
  delivery: StoredDelivery,
): Route | undefined {
  const explicitChannel =
    delivery.channel && delivery.channel !== "last"
      ? delivery.channel
      : undefined;
  if (delivery.to)
    return {
      to: delivery.to,
      ...(explicitChannel ? { channel: explicitChannel } : {}),
      ...(delivery.accountId ? { accountId: delivery.accountId } : {}),
    };
  const sessions = host.optionalService(agentsService)?.sessions;
  if (!sessions) return undefined;
  const agentId = job.agentId ?? host.defaultAgentId;
  const candidates = sessions
    .entries(agentId)
    .filter(
      ({ entry }) =>
        entry.channel &&
        entry.lastTo &&
        (!explicitChannel || entry.channel === explicitChannel),
    )
    .sort(
      (a, b) =>
        Number(b.key === `agent:${agentId}:main`) -
          Number(a.key === `agent:${agentId}:main`) ||
        b.entry.updatedAt - a.entry.updatedAt,
    );
  const last = candidates[0]?.entry;
  if (!last?.lastTo) return undefined;
  return {
    to: last.lastTo,
    channel: last.channel,
    ...((delivery.accountId ?? last.lastAccountId)
      ? { accountId: delivery.accountId ?? last.lastAccountId }
      : {}),
  };
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
