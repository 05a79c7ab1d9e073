import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { FileStorage } from "../lib/file-storage.js";
import { cronPlugin } from "../lib/plugins/cron-plugin.js";
import type { RuntimePlugin } from "./runtime-plugin.js";

/**
 * Cron jobs from the `cron` config: the jobs file at `cron.store` (default
 * `<state>/cron/jobs.json`, run logs in `runs/` next to it), `cron.enabled`, `cron.maxConcurrentRuns`.
 */
export function cronRuntimePlugin(): RuntimePlugin {
  return {
    name: "cron",
    gatewayPlugins({ config, env, stateDir }) {
      const path = cronStorePath(
        config.cron?.store,
        stateDir,
        env.HOME ?? homedir(),
      );
      return [
        cronPlugin({
          storage: new FileStorage(dirname(path)),
          key: basename(path),
          enabled: config.cron?.enabled !== false,
          maxConcurrentRuns: config.cron?.maxConcurrentRuns,
        }),
      ];
    },
  };
}

/** `~` is the home folder; a relative path is read from the state dir. */
export function cronStorePath(
  store: string | undefined,
  stateDir: string,
  home: string,
): string {
  const raw = store?.trim();
  if (!raw) return join(stateDir, "cron", "jobs.json");
  if (raw === "~" || raw.startsWith("~/")) return join(home, raw.slice(1));
  return isAbsolute(raw) ? raw : resolve(stateDir, raw);
}
