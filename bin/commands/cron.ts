import { GatewayError } from "../../lib/errors.js";
import type {
  CronAddParams,
  CronDelivery,
  CronJob,
  CronJobPatch,
  CronPayload,
  CronRunLogEntry,
  CronSchedule,
} from "../../lib/protocol/generated/types.js";
import { loadClientContext, type CliContext } from "../cli-context.js";
import { formatAgo, printRpc } from "../rpc-action.js";
import { withRpcOptions, type CommandKit, type Flags } from "./command-kit.js";

const USAGE = {
  add: "openclaw cron add --name <name> (--at <when> | --every <duration> | --cron <expr> [--tz <iana>]) (--system-event <text> | --message <text>)",
  edit: "openclaw cron edit <id> [--name …] [--enable | --disable] [schedule and payload flags as for add]",
  rm: "openclaw cron rm <id>",
  run: "openclaw cron run <id> [--due]",
  runs: "openclaw cron runs --id <id> [--limit <n>]",
};

/** A forced run waits for the agent turn; the RPC gets this long unless --timeout says otherwise. */
const RUN_TIMEOUT_MS = 10 * 60_000;

type Str = (name: string) => string | undefined;

/** `openclaw cron status|list|add|edit|rm|run|runs` over the cron methods (docs/protocol.md, Cron). */
export function registerCronCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(
    cli.command(
      "cron [action] [...args]",
      "Cron jobs: status | list (default) | add | edit <id> | rm <id> | run <id> | runs --id <id>",
    ),
  )
    .option("--all", "list: include disabled jobs")
    .option("--name <name>", "add/edit: job name")
    .option("--description <text>", "add/edit: description")
    .option("--disabled", "add: create the job disabled")
    .option("--enable", "edit: enable the job")
    .option("--disable", "edit: disable the job")
    .option(
      "--delete-after-run",
      "add/edit: delete a one-shot job after it ran",
    )
    .option("--agent <id>", "add/edit: agent id (default: the default agent)")
    .option("--session <target>", "add/edit: main | isolated")
    .option(
      "--wake <mode>",
      "add/edit: now | next-heartbeat (default next-heartbeat)",
    )
    .option(
      "--at <when>",
      "add/edit: run once, at an ISO time or after a duration (20m, +2h)",
    )
    .option("--every <duration>", "add/edit: run every duration (10m, 1h, 1d)")
    .option("--cron <expr>", "add/edit: cron expression (5 or 6 fields)")
    .option(
      "--tz <iana>",
      "add/edit: time zone of --cron (default: the gateway host's)",
    )
    .option(
      "--system-event <text>",
      "add/edit: queue this text in the main session",
    )
    .option("--message <text>", "add/edit: run an agent turn with this message")
    .option("--thinking <level>", "add/edit: thinking level of the agent turn")
    .option("--model <ref>", "add/edit: provider/model of the agent turn")
    .option("--timeout-seconds <n>", "add/edit: agent turn deadline")
    .option("--deliver", "add/edit: send the reply to a channel")
    .option("--channel <channel>", 'add/edit: delivery channel (or "last")')
    .option("--to <dest>", "add/edit: delivery target")
    .option(
      "--best-effort-deliver",
      "add/edit: a failed delivery does not fail the run",
    )
    .option(
      "--post-prefix <prefix>",
      "add/edit: prefix of the note an isolated run leaves in the main session",
    )
    .option("--id <id>", "runs: job id")
    .option("--limit <n>", "runs: entries to show")
    .option("--due", "run: only when the job is due")
    .option("--force", "run: run now even if not due (default)")
    .action(
      async (action: string | undefined, args: string[], flags: Flags) => {
        const rpc = rpcFlags(flags);
        const ctx = await loadClientContext(globals(flags), rpc.url);
        return runCron(
          ctx,
          action ?? "list",
          args,
          flags,
          (name) => str(flags, name),
          {
            ...rpc,
            timeoutGiven: kit.argv.some(
              (a) => a === "--timeout" || a.startsWith("--timeout="),
            ),
          },
        );
      },
    );
}

async function runCron(
  ctx: CliContext,
  action: string,
  args: string[],
  flags: Flags,
  str: Str,
  rpc: ReturnType<CommandKit["rpcFlags"]> & { timeoutGiven: boolean },
): Promise<number> {
  const id = (usage: string): string => {
    if (!args[0]) throw new GatewayError("INVALID_REQUEST", `usage: ${usage}`);
    return args[0];
  };
  switch (action) {
    case "status":
      return printRpc(ctx, rpc, "cron.status", {}, (s) => [
        `Cron: ${s.enabled ? "enabled" : "disabled"}`,
        `Jobs: ${s.jobs}`,
        `Next wake: ${s.nextWakeAtMs === null ? "-" : new Date(s.nextWakeAtMs).toISOString()}`,
        `Store: ${s.storePath}`,
      ]);
    case "list":
      return printRpc(
        ctx,
        rpc,
        "cron.list",
        { includeDisabled: Boolean(flags.all) },
        ({ jobs }) => (jobs.length ? jobs.map(jobLine) : ["No cron jobs."]),
      );
    case "add":
      return printRpc(ctx, rpc, "cron.add", addParams(flags, str), (job) => [
        `Added ${jobLine(job)}`,
      ]);
    case "edit": {
      const jobId = id(USAGE.edit);
      const patch = patchParams(flags, str);
      if (!Object.keys(patch).length)
        throw new GatewayError(
          "INVALID_REQUEST",
          `nothing to change; usage: ${USAGE.edit}`,
        );
      return printRpc(ctx, rpc, "cron.update", { id: jobId, patch }, (job) => [
        `Updated ${jobLine(job)}`,
      ]);
    }
    case "rm":
    case "remove":
    case "delete": {
      const jobId = id(USAGE.rm);
      return printRpc(ctx, rpc, "cron.remove", { id: jobId }, (r) => [
        r.removed ? `Removed ${jobId}.` : `No job ${jobId}.`,
      ]);
    }
    case "run": {
      const jobId = id(USAGE.run);
      const mode = flags.due ? "due" : "force";
      return printRpc(
        ctx,
        rpc,
        "cron.run",
        { id: jobId, mode },
        (r) => [r.ran ? `Ran ${jobId}.` : `Not run: ${r.reason ?? "not due"}.`],
        {
          timeoutMs: rpc.timeoutGiven ? rpc.timeout : RUN_TIMEOUT_MS,
        },
      );
    }
    case "runs": {
      const jobId = str("id") ?? args[0];
      if (!jobId)
        throw new GatewayError("INVALID_REQUEST", `usage: ${USAGE.runs}`);
      const limit = str("limit");
      return printRpc(
        ctx,
        rpc,
        "cron.runs",
        {
          id: jobId,
          ...(limit ? { limit: positiveInt(limit, "--limit") } : {}),
        },
        ({ entries }) => (entries.length ? entries.map(runLine) : ["No runs."]),
      );
    }
    default:
      throw new GatewayError(
        "INVALID_REQUEST",
        `unknown cron action: ${action} (expected status, list, add, edit, rm, run or runs)`,
      );
  }
}

function addParams(flags: Flags, str: Str): CronAddParams {
  const name = str("name");
  const schedule = scheduleOf(str);
  const payload = payloadOf(flags, str);
  if (!name || !schedule || !payload)
    throw new GatewayError("INVALID_REQUEST", `usage: ${USAGE.add}`);
  const session =
    sessionOf(str) ?? (payload.kind === "systemEvent" ? "main" : "isolated");
  const prefix = str("post-prefix");
  const description = str("description");
  const agent = str("agent");
  return {
    name,
    ...(description !== undefined ? { description } : {}),
    ...(agent ? { agentId: agent } : {}),
    enabled: !flags.disabled,
    ...(flags.deleteAfterRun ? { deleteAfterRun: true } : {}),
    schedule,
    sessionTarget: session,
    wakeMode: wakeOf(str) ?? "next-heartbeat",
    payload,
    ...deliveryOf(flags, str),
    ...(prefix ? { isolation: { postToMainPrefix: prefix } } : {}),
  };
}

function patchParams(flags: Flags, str: Str): CronJobPatch {
  if (flags.enable && flags.disable)
    throw new GatewayError(
      "INVALID_REQUEST",
      "--enable and --disable exclude each other",
    );
  const patch: CronJobPatch = {};
  const name = str("name");
  const description = str("description");
  const agent = str("agent");
  const prefix = str("post-prefix");
  if (name) patch.name = name;
  if (description !== undefined) patch.description = description;
  if (agent) patch.agentId = agent;
  if (flags.enable) patch.enabled = true;
  if (flags.disable) patch.enabled = false;
  if (flags.deleteAfterRun) patch.deleteAfterRun = true;
  const schedule = scheduleOf(str);
  if (schedule) patch.schedule = schedule;
  const session = sessionOf(str);
  if (session) patch.sessionTarget = session;
  const wake = wakeOf(str);
  if (wake) patch.wakeMode = wake;
  const payload = payloadOf(flags, str);
  if (payload) patch.payload = payload;
  Object.assign(patch, deliveryOf(flags, str));
  if (prefix) patch.isolation = { postToMainPrefix: prefix };
  return patch;
}

function scheduleOf(str: Str): CronSchedule | undefined {
  const at = str("at");
  const every = str("every");
  const expr = str("cron");
  if ([at, every, expr].filter((v) => v !== undefined).length > 1)
    throw new GatewayError(
      "INVALID_REQUEST",
      "give one of --at, --every and --cron",
    );
  if (at !== undefined) return { kind: "at", atMs: whenMs(at) };
  if (every !== undefined)
    return { kind: "every", everyMs: durationMs(every, "--every") };
  if (expr !== undefined) {
    const tz = str("tz");
    return { kind: "cron", expr, ...(tz ? { tz } : {}) };
  }
  if (str("tz") !== undefined)
    throw new GatewayError("INVALID_REQUEST", "--tz goes with --cron");
  return undefined;
}

function payloadOf(flags: Flags, str: Str): CronPayload | undefined {
  const text = str("system-event");
  const message = str("message");
  if (text !== undefined && message !== undefined)
    throw new GatewayError(
      "INVALID_REQUEST",
      "give one of --system-event and --message",
    );
  if (text !== undefined) return { kind: "systemEvent", text };
  if (message === undefined) return undefined;
  const thinking = str("thinking");
  const model = str("model");
  const timeout = str("timeout-seconds");
  return {
    kind: "agentTurn",
    message,
    ...(thinking ? { thinking } : {}),
    ...(model ? { model } : {}),
    ...(timeout
      ? { timeoutSeconds: positiveInt(timeout, "--timeout-seconds") }
      : {}),
  };
}

function deliveryOf(flags: Flags, str: Str): { delivery?: CronDelivery } {
  const channel = str("channel");
  const to = str("to");
  if (
    !flags.deliver &&
    channel === undefined &&
    to === undefined &&
    !flags.bestEffortDeliver
  )
    return {};
  return {
    delivery: {
      mode: flags.deliver || to !== undefined ? "announce" : "none",
      ...(channel ? { channel } : {}),
      ...(to ? { to } : {}),
      ...(flags.bestEffortDeliver ? { bestEffort: true } : {}),
    },
  };
}

function sessionOf(str: Str): "main" | "isolated" | undefined {
  const value = str("session");
  if (value === undefined) return undefined;
  if (value !== "main" && value !== "isolated")
    throw new GatewayError(
      "INVALID_REQUEST",
      `--session must be main or isolated, not ${value}`,
    );
  return value;
}

function wakeOf(str: Str): "now" | "next-heartbeat" | undefined {
  const value = str("wake");
  if (value === undefined) return undefined;
  if (value !== "now" && value !== "next-heartbeat")
    throw new GatewayError(
      "INVALID_REQUEST",
      `--wake must be now or next-heartbeat, not ${value}`,
    );
  return value;
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `90s`, `10m`, `1h30m`, `2d`: a positive duration in ms. */
function durationMs(text: string, flag: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  const whole = parts.map((p) => p[0]).join("");
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
  if (!parts.length || whole !== text.trim() || !(ms >= 1))
    throw new GatewayError(
      "INVALID_REQUEST",
      `${flag} takes a duration like 30s, 10m, 1h or 2d, not ${JSON.stringify(text)}`,
    );
  return Math.round(ms);
}

/** An ISO time, or a duration from now (`20m`, `+2h`). */
function whenMs(text: string): number {
  const trimmed = text.trim();
  if (/^\+?\d+(?:\.\d+)?(?:ms|s|m|h|d)/.test(trimmed))
    return Date.now() + durationMs(trimmed.replace(/^\+/, ""), "--at");
  const ms = Date.parse(trimmed);
  if (!Number.isFinite(ms))
    throw new GatewayError(
      "INVALID_REQUEST",
      `--at takes an ISO time or a duration like 20m, not ${JSON.stringify(text)}`,
    );
  return ms;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new GatewayError(
      "INVALID_REQUEST",
      `${flag} must be a positive integer, not ${JSON.stringify(text)}`,
    );
  return n;
}

function scheduleText(schedule: CronSchedule): string {
  switch (schedule.kind) {
    case "at":
      return `at ${"atMs" in schedule ? new Date(schedule.atMs).toISOString() : schedule.at}`;
    case "every":
      return `every ${schedule.everyMs} ms`;
    case "cron":
      return `cron "${schedule.expr}"${schedule.tz ? ` ${schedule.tz}` : ""}`;
  }
}

function jobLine(job: CronJob): string {
  const next =
    job.state.nextRunAtMs === undefined
      ? "next: -"
      : `next: ${new Date(job.state.nextRunAtMs).toISOString()}`;
  const last =
    job.state.lastRunAtMs === undefined
      ? ""
      : `  last: ${job.state.lastStatus ?? "?"} ${formatAgo(job.state.lastRunAtMs)}`;
  const what =
    job.payload.kind === "systemEvent" ? "system event" : "agent turn";
  return `${job.id}  ${job.name}  ${job.enabled ? "enabled" : "disabled"}  ${scheduleText(job.schedule)}  ${job.sessionTarget} ${what}  ${next}${last}`;
}

function runLine(entry: CronRunLogEntry): string {
  const at = new Date(entry.runAtMs ?? entry.ts).toISOString();
  const took =
    entry.durationMs === undefined ? "" : ` (${entry.durationMs} ms)`;
  const detail = entry.error ?? entry.summary ?? "";
  return `${at}  ${entry.status ?? "?"}${took}${detail ? `  ${detail.split("\n")[0]}` : ""}`;
}
