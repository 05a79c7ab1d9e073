import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterEach, describe, expect, it } from "vitest";
import { FileStorage } from "../../../lib/file-storage.js";
import { channelsPlugin } from "../../../lib/plugins/channels-plugin.js";
import {
  cronPlugin,
  type CronPluginOptions,
} from "../../../lib/plugins/cron-plugin.js";
import { openPeer, type WsPeer } from "../../bin/helpers.js";
import { AgentGateway } from "../../helpers/agent-gateway.js";
import { TOKEN } from "../../helpers/connect.js";
import { ManualClock } from "../../helpers/manual-clock.js";
import { v4Problems } from "../../helpers/v4-conformance.js";
import { FakeChannel } from "../channels/fake-channel.js";
import { seedReference } from "../../helpers/seed-reference.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 2026-01-15T10:00:00Z, a Thursday, New York on standard time (UTC-5). */
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

const open: AgentGateway[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

interface Setup {
  h: AgentGateway;
  peer: WsPeer;
  clock: ManualClock;
  channel: FakeChannel;
}

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "openclaw-cron-"));
  dirs.push(dir);
  return dir;
}

/** A gateway with agents (fake model), a fake channel behind the real `send`, and cron over a ManualClock. */
async function start(
  options: {
    dir?: string;
    clockAt?: number;
    cron?: Omit<CronPluginOptions, "storage">;
  } = {},
): Promise<Setup> {
  const clock = new ManualClock(options.clockAt ?? T0);
  const channel = new FakeChannel();
  const dir = options.dir ?? (await stateDir());
  const h = await AgentGateway.start({
    clock,
    stateDir: dir,
    plugins: (state) => [
      channelsPlugin({
        definitions: [{ id: "fake", label: "Fake", create: () => channel }],
        config: { fake: { dmPolicy: "open" } },
        runAgent: async () => [],
      }),
      cronPlugin({
        storage: new FileStorage(join(state, "cron")),
        ...options.cron,
      }),
    ],
  });
  open.push(h);
  return { h, peer: await h.connect(), clock, channel };
}

async function call(
  s: Setup,
  method: string,
  params: unknown = {},
  peer = s.peer,
): Promise<any> {
  const res = await s.h.request(peer, method, params);
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(res.error)}`);
  return res.payload;
}

async function refused(
  s: Setup,
  method: string,
  params: unknown,
): Promise<string> {
  const res = await s.h.request(s.peer, method, params);
  expect(res.ok).toBe(false);
  return res.error.message as string;
}

function finished(s: Setup, jobId: string, count = 1): Promise<unknown> {
  return s.peer.next(
    (f) =>
      f.type === "event" &&
      f.event === "cron" &&
      f.payload.jobId === jobId &&
      f.payload.action === "finished" &&
      --count === 0,
    5000,
  );
}

/** A protocol-3 (seed-era) operator connection. */
async function seedPeer(s: Setup): Promise<WsPeer> {
  const peer = await openPeer(s.h.wsUrl);
  await peer.next((f) => f.type === "event" && f.event === "connect.challenge");
  peer.ws.send(
    JSON.stringify({
      type: "req",
      id: "c",
      method: "connect",
      params: {
        minProtocol: 3,
        maxProtocol: 3,
        client: { id: "test", version: "1", platform: "linux", mode: "test" },
        auth: { token: TOKEN },
      },
    }),
  );
  const res = await peer.next((f) => f.type === "res" && f.id === "c");
  expect(res.ok).toBe(true);
  return peer;
}

const seedSchema = seedReference("protocol.schema.json");
const seedAjv = new Ajv({ strict: false, allErrors: true });
if (seedSchema) seedAjv.addSchema(seedSchema, "seed");
/** Problems against the seed-era reference; none to report where it is not on this machine. */
function seedProblems(definition: string, value: unknown): string[] {
  if (!seedSchema) return [];
  const check = seedAjv.getSchema(`seed#/definitions/${definition}`)!;
  return check(value)
    ? []
    : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const isolatedJob = {
  name: "Morning digest",
  schedule: { kind: "every", everyMs: HOUR },
  sessionTarget: "isolated",
  wakeMode: "next-heartbeat",
  payload: { kind: "agentTurn", message: "Summarize the news" },
  delivery: { mode: "announce", channel: "fake", to: "+15550001" },
};

describe("cron plugin", () => {
  it("runs an isolated agent turn when due, delivers it to the channel, logs the run and broadcasts cron events", async () => {
    const s = await start();
    s.h.model.script({ text: ["Here is the digest."] });
    const job = await call(s, "cron.add", isolatedJob);
    expect(job).toMatchObject({
      name: "Morning digest",
      enabled: true,
      state: { nextRunAtMs: T0 + HOUR },
    });
    expect(v4Problems("CronJob", job)).toEqual([]);
    expect(await call(s, "cron.status")).toEqual({
      enabled: true,
      storePath: join(s.h.stateDir, "cron", "jobs.json"),
      jobs: 1,
      nextWakeAtMs: T0 + HOUR,
    });

    await s.clock.advance(HOUR - 1);
    expect(s.h.model.requests).toHaveLength(0);
    const done = finished(s, job.id);
    await s.clock.advance(1);
    await done;

    expect(s.channel.sent).toEqual([
      expect.objectContaining({ to: "+15550001", text: "Here is the digest." }),
    ]);
    const { entries } = await call(s, "cron.runs", { id: job.id });
    expect(entries).toEqual([
      expect.objectContaining({
        jobId: job.id,
        action: "finished",
        status: "ok",
        summary: "Here is the digest.",
        runAtMs: T0 + HOUR,
        nextRunAtMs: T0 + 2 * HOUR,
        deliveryStatus: "delivered",
        sessionKey: `agent:main:cron:${job.id}`,
      }),
    ]);
    for (const entry of entries)
      expect(v4Problems("CronRunLogEntry", entry)).toEqual([]);
    const events = s.h.events(s.peer, "cron").map((e) => e.action);
    expect(events).toEqual(["added", "started", "finished"]);
    const [listed] = (await call(s, "cron.list")).jobs;
    expect(listed.state).toMatchObject({
      lastStatus: "ok",
      lastRunStatus: "ok",
      lastRunAtMs: T0 + HOUR,
      nextRunAtMs: T0 + 2 * HOUR,
      lastDeliveryStatus: "delivered",
    });
    // The run's transcript lives under the job's own session; the main session got a note.
    expect(
      (await s.h.messages(`agent:main:cron:${job.id}`)).map((m) => m.role),
    ).toEqual(["user", "assistant"]);
    expect((await call(s, "status")).queuedSystemEvents).toContain(
      "Cron: Here is the digest.",
    );
  });

  it("answers protocol-3 clients in the seed shape and protocol-4 clients in the v4 shape", async () => {
    const s = await start();
    const at = await call(s, "cron.add", {
      ...isolatedJob,
      name: "Once",
      schedule: { kind: "at", at: "2026-01-16T08:00:00Z" },
    });
    expect(at.schedule).toEqual({ kind: "at", at: "2026-01-16T08:00:00.000Z" });
    expect(at.delivery).toEqual({
      mode: "announce",
      channel: "fake",
      to: "+15550001",
    });
    const seed = await seedPeer(s);
    const { jobs } = await call(s, "cron.list", {}, seed);
    expect(jobs[0]).toMatchObject({
      schedule: { kind: "at", atMs: Date.UTC(2026, 0, 16, 8) },
      payload: {
        kind: "agentTurn",
        message: "Summarize the news",
        deliver: true,
        channel: "fake",
        to: "+15550001",
      },
    });
    expect(seedProblems("CronJob", jobs[0])).toEqual([]);
    // A seed client's payload.deliver fields reach v4 clients as `delivery`.
    const seedAdded = await call(
      s,
      "cron.add",
      {
        name: "Seed",
        schedule: { kind: "cron", expr: "0 9 * * *" },
        sessionTarget: "isolated",
        wakeMode: "now",
        payload: {
          kind: "agentTurn",
          message: "hi",
          deliver: true,
          channel: "last",
          bestEffortDeliver: true,
        },
      },
      seed,
    );
    expect(seedProblems("CronJob", seedAdded)).toEqual([]);
    const v4 = (await call(s, "cron.list", { query: "seed" })).jobs;
    expect(v4).toEqual([
      expect.objectContaining({
        id: seedAdded.id,
        delivery: { mode: "announce", channel: "last", bestEffort: true },
        payload: { kind: "agentTurn", message: "hi" },
      }),
    ]);
    expect(v4Problems("CronJob", v4[0])).toEqual([]);
  });

  it("queues a main-session system event, disables a one-shot after its run, and filters and edits jobs", async () => {
    const s = await start();
    const job = await call(s, "cron.add", {
      name: "Stretch",
      schedule: { kind: "at", atMs: T0 + 10 * MINUTE },
      sessionTarget: "main",
      wakeMode: "now",
      payload: { kind: "systemEvent", text: "Time to stretch" },
    });
    const done = finished(s, job.id);
    await s.clock.advance(10 * MINUTE);
    await done;
    expect((await call(s, "status")).queuedSystemEvents).toContain(
      "Time to stretch",
    );
    expect((await call(s, "cron.list")).jobs).toEqual([]);
    const [disabled] = (await call(s, "cron.list", { includeDisabled: true }))
      .jobs;
    expect(disabled).toMatchObject({
      id: job.id,
      enabled: false,
      state: { lastStatus: "ok", lastRunAtMs: T0 + 10 * MINUTE },
    });
    expect(disabled.state.nextRunAtMs).toBeUndefined();

    const updated = await call(s, "cron.update", {
      jobId: job.id,
      patch: {
        enabled: true,
        schedule: { kind: "every", everyMs: 5 * MINUTE, anchorMs: T0 },
      },
    });
    expect(updated).toMatchObject({
      enabled: true,
      state: { nextRunAtMs: T0 + 15 * MINUTE },
    });
    expect((await call(s, "cron.list", { scheduleKind: "at" })).jobs).toEqual(
      [],
    );
    expect(await call(s, "cron.run", { id: job.id, mode: "due" })).toEqual({
      ok: true,
      ran: false,
      reason: "not-due",
    });
    expect(await call(s, "cron.run", { id: job.id })).toEqual({
      ok: true,
      ran: true,
    });
    expect(
      (await call(s, "cron.runs", { id: job.id, sortDir: "desc", limit: 1 }))
        .entries,
    ).toEqual([
      expect.objectContaining({ status: "ok", runAtMs: T0 + 10 * MINUTE }),
    ]);

    expect(
      await refused(s, "cron.add", {
        name: "x",
        schedule: { kind: "every", everyMs: 1000 },
        sessionTarget: "isolated",
        wakeMode: "now",
        payload: { kind: "systemEvent", text: "x" },
      }),
    ).toContain("agentTurn");
    expect(
      await refused(s, "cron.add", {
        name: "x",
        schedule: { kind: "cron", expr: "not a cron" },
        sessionTarget: "main",
        wakeMode: "now",
        payload: { kind: "systemEvent", text: "x" },
      }),
    ).toContain("invalid cron schedule");
    expect(
      await refused(s, "cron.add", {
        name: "x",
        schedule: { kind: "cron", expr: "0 9 * * *", tz: "Mars/Olympus" },
        sessionTarget: "main",
        wakeMode: "now",
        payload: { kind: "systemEvent", text: "x" },
      }),
    ).toContain("Mars/Olympus");
    expect(await refused(s, "cron.runs", {})).toContain(
      "must have required property",
    );
    expect(await refused(s, "cron.run", { id: "nope" })).toContain(
      "unknown cron job id",
    );

    expect(await call(s, "cron.remove", { id: job.id })).toEqual({
      ok: true,
      removed: true,
    });
    expect(await call(s, "cron.remove", { id: job.id })).toEqual({
      ok: true,
      removed: false,
    });
    expect(s.h.events(s.peer, "cron").at(-1)).toEqual({
      jobId: job.id,
      action: "removed",
    });
  });

  it("computes cron times in the job time zone, across a DST change", async () => {
    const s = await start();
    const job = await call(s, "cron.add", {
      name: "NY 9am",
      schedule: { kind: "cron", expr: "0 9 * * *", tz: "America/New_York" },
      sessionTarget: "main",
      wakeMode: "next-heartbeat",
      payload: { kind: "systemEvent", text: "Good morning" },
    });
    // 09:00 EST is 14:00Z; T0 is 10:00Z, so today's run is still ahead.
    expect(job.state.nextRunAtMs).toBe(Date.UTC(2026, 0, 15, 14));
    const done = finished(s, job.id);
    await s.clock.advance(4 * HOUR);
    await done;
    expect((await call(s, "cron.runs", { id: job.id })).entries).toEqual([
      expect.objectContaining({
        runAtMs: Date.UTC(2026, 0, 15, 14),
        nextRunAtMs: Date.UTC(2026, 0, 16, 14),
      }),
    ]);
    const summer = await call(s, "cron.update", {
      id: job.id,
      patch: {
        schedule: { kind: "cron", expr: "0 9 * 7 *", tz: "America/New_York" },
      },
    });
    // In July New York is on daylight time: 09:00 EDT is 13:00Z.
    expect(summer.state.nextRunAtMs).toBe(Date.UTC(2026, 6, 1, 13));
  });

  it("keeps jobs across a restart; a job missed while down runs once, not once per missed slot", async () => {
    const dir = await stateDir();
    const first = await start({ dir });
    const every = await call(first, "cron.add", {
      ...isolatedJob,
      delivery: { mode: "none" },
    });
    const once = await call(first, "cron.add", {
      name: "Reminder",
      schedule: { kind: "at", atMs: T0 + 30 * MINUTE },
      sessionTarget: "main",
      wakeMode: "now",
      payload: { kind: "systemEvent", text: "Call the bank" },
    });
    await first.h.close();
    open.splice(open.indexOf(first.h), 1);
    const saved = JSON.parse(
      await readFile(join(dir, "cron", "jobs.json"), "utf8"),
    );
    expect(saved.jobs.map((j: { id: string }) => j.id)).toEqual([
      every.id,
      once.id,
    ]);

    // Five hours later: five hourly slots and the reminder were missed.
    const later = T0 + 5 * HOUR + 5 * MINUTE;
    const second = await start({ dir, clockAt: later });
    second.h.model.script({ text: ["Caught up."] });
    await Promise.all([finished(second, every.id), finished(second, once.id)]);
    await second.clock.advance(1000);
    const runsOf = async (id: string) =>
      (await call(second, "cron.runs", { id })).entries;
    expect(await runsOf(every.id)).toEqual([
      expect.objectContaining({
        status: "ok",
        runAtMs: later,
        nextRunAtMs: T0 + 6 * HOUR,
      }),
    ]);
    expect(await runsOf(once.id)).toEqual([
      expect.objectContaining({ status: "ok", runAtMs: later }),
    ]);
    expect(second.h.model.requests).toHaveLength(1);
    expect((await call(second, "status")).queuedSystemEvents).toContain(
      "Call the bank",
    );
    const jobs = (
      await call(second, "cron.list", { includeDisabled: true, sortBy: "name" })
    ).jobs;
    expect(
      jobs.map((j: { name: string; enabled: boolean }) => [j.name, j.enabled]),
    ).toEqual([
      ["Morning digest", true],
      ["Reminder", false],
    ]);
  });

  it("logs a run the gateway stopped in the middle of as an error at the next start", async () => {
    const dir = await stateDir();
    const first = await start({ dir });
    const job = await call(first, "cron.add", {
      ...isolatedJob,
      delivery: { mode: "none" },
    });
    first.h.model.script({ text: ["partial", "never"], hangAfter: 1 });
    await first.clock.advance(HOUR);
    await first.h.model.waitForRequests(1);
    await first.h.close();
    open.splice(open.indexOf(first.h), 1);

    const second = await start({ dir, clockAt: T0 + HOUR + MINUTE });
    const { entries } = await call(second, "cron.runs", { id: job.id });
    expect(entries).toEqual([
      expect.objectContaining({
        status: "error",
        error: expect.stringContaining("interrupted"),
        runAtMs: T0 + HOUR,
        nextRunAtMs: T0 + 2 * HOUR,
      }),
    ]);
    const [listed] = (await call(second, "cron.list")).jobs;
    expect(listed.state.runningAtMs).toBeUndefined();
  });

  it("with cron.enabled false keeps and lists jobs but runs none on its own", async () => {
    const s = await start({ cron: { enabled: false } });
    s.h.model.script({ text: ["manual"] });
    const job = await call(s, "cron.add", {
      ...isolatedJob,
      delivery: { mode: "none" },
    });
    await s.clock.advance(3 * HOUR);
    expect(s.h.model.requests).toHaveLength(0);
    expect(await call(s, "cron.status")).toMatchObject({
      enabled: false,
      jobs: 1,
      nextWakeAtMs: null,
    });
    expect(await call(s, "cron.run", { id: job.id })).toEqual({
      ok: true,
      ran: true,
    });
    expect((await call(s, "cron.runs", { id: job.id })).entries).toEqual([
      expect.objectContaining({ status: "ok", summary: "manual" }),
    ]);
  });

  it("records a failed delivery as an error unless the job asked for best effort", async () => {
    const s = await start();
    s.h.model.script({ text: ["one"] }, { text: ["two"] });
    s.channel.connected = false;
    const strict = await call(s, "cron.add", {
      ...isolatedJob,
      name: "strict",
    });
    await call(s, "cron.run", { id: strict.id });
    const lenient = await call(s, "cron.add", {
      ...isolatedJob,
      name: "lenient",
      delivery: { ...isolatedJob.delivery, bestEffort: true },
    });
    await call(s, "cron.run", { id: lenient.id });
    const [a] = (await call(s, "cron.runs", { id: strict.id })).entries;
    const [b] = (await call(s, "cron.runs", { id: lenient.id })).entries;
    expect(a).toMatchObject({
      status: "error",
      error: expect.stringContaining("delivery failed"),
      deliveryStatus: "not-delivered",
    });
    expect(b).toMatchObject({
      status: "ok",
      deliveryStatus: "not-delivered",
      deliveryError: expect.any(String),
    });
  });
});
