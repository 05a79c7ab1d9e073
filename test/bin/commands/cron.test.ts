import { afterEach, describe, expect, it } from "vitest";
import { TOKEN } from "../../helpers/connect.js";
import {
  killAll,
  makeEnv,
  parseJson,
  runCli,
  startGateway,
} from "../helpers.js";

afterEach(killAll);

describe("openclaw cron", () => {
  it("adds, lists and removes a job against a running gateway", async () => {
    const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN });
    const gw = await startGateway(["--allow-unconfigured", "--port", "0"], t);
    const cli = (...args: string[]) =>
      runCli([...args, "--url", gw.url], t, 30_000);

    const empty = await cli("cron", "list");
    expect(empty.code, empty.output).toBe(0);
    expect(empty.stdout).toBe("No cron jobs.\n");

    const added = await cli(
      "cron",
      "add",
      "--name",
      "Standup",
      "--cron",
      "0 9 * * 1-5",
      "--tz",
      "Europe/Berlin",
      "--system-event",
      "Standup in 5",
      "--json",
    );
    expect(added.code, added.output).toBe(0);
    const job = parseJson(added.stdout);
    expect(job).toMatchObject({
      name: "Standup",
      sessionTarget: "main",
      schedule: { kind: "cron", expr: "0 9 * * 1-5", tz: "Europe/Berlin" },
      payload: { kind: "systemEvent", text: "Standup in 5" },
    });

    const list = await cli("cron", "list");
    const status = await cli("cron", "status", "--json");
    expect(list.stdout).toContain(
      `${job.id}  Standup  enabled  cron "0 9 * * 1-5" Europe/Berlin  main system event`,
    );
    expect(parseJson(status.stdout)).toMatchObject({
      enabled: true,
      jobs: 1,
      storePath: expect.stringMatching(/cron\/jobs\.json$/),
    });

    const bad = await cli(
      "cron",
      "add",
      "--name",
      "x",
      "--every",
      "soon",
      "--message",
      "hi",
    );
    expect(bad.code).not.toBe(0);
    expect(bad.output).toContain("--every takes a duration");

    const removed = await cli("cron", "rm", job.id);
    expect(removed.code, removed.output).toBe(0);
    expect(removed.stdout).toBe(`Removed ${job.id}.\n`);
    expect((await cli("cron", "list", "--all")).stdout).toBe("No cron jobs.\n");
  }, 60_000);
});
