import { homedir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { systemClock } from "../lib/clock.js";
import { FileStorage } from "../lib/file-storage.js";
import { LeaseLeadership, type Leadership } from "../lib/lease-leadership.js";
import { cronPlugin } from "../lib/plugins/cron-plugin.js";
import { PrefixedStorage } from "../lib/prefixed-storage.js";
import type { ClusterRuntime } from "./cluster-runtime-plugin.js";
import type { RuntimePlugin } from "./runtime-plugin.js";

export interface CronRuntimePluginOptions {
  /**
   * The running cluster, if any: with `cluster.postgres` the jobs and run logs live in the shared
   * store (`cron/jobs.json`, `cron/runs/…`) and run in one instance at a time (the holder of the
   * `cron` lease).
   */
  cluster?: () => ClusterRuntime | undefined;
}

/**
 * Cron jobs from the `cron` config: the jobs file at `cron.store` (default
 * `<state>/cron/jobs.json`, run logs in `runs/` next to it), `cron.enabled`, `cron.maxConcurrentRuns`.
 */
export function cronRuntimePlugin(
  options: CronRuntimePluginOptions = {},
): RuntimePlugin {
  let leadership: LeaseLeadership | undefined;
  return {
    name: "cron",
    gatewayPlugins({ config, env, stateDir, logger }) {
      const cluster = options.cluster?.();
      const postgres = cluster?.postgres;
      const path = cronStorePath(
        config.cron?.store,
        stateDir,
        env.HOME ?? homedir(),
      );
      const enabled = config.cron?.enabled !== false;
      leadership =
        cluster?.postgres && enabled
          ? new LeaseLeadership({
              leases: cluster.postgres.leases,
              key: "cron",
              ttlMs: cluster.leaseTtlMs,
              clock: systemClock,
              logger,
            })
          : undefined;
      return [
        cronPlugin({
          ...(postgres
            ? { storage: new PrefixedStorage(postgres.storage, "cron/") }
            : { storage: new FileStorage(dirname(path)), key: basename(path) }),
          enabled,
          maxConcurrentRuns: config.cron?.maxConcurrentRuns,
          // `cron.enabled: false` in a cluster: keeps the shared jobs, never takes the lease from an instance that runs them.
          ...(postgres ? { leadership: leadership ?? NEVER_LEADING } : {}),
        }),
      ];
    },
    setup: () => leadership?.start(),
    async stop() {
      await leadership?.close();
      leadership = undefined;
    },
  };
}

const NEVER_LEADING: Leadership = { leading: false, onChange: () => () => undefined };

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
