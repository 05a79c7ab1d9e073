import type { Logger } from "../logger.js";
import type { Storage } from "../storage.js";
import type { StoredCronJob } from "./cron-job.js";

export interface CronJobStoreOptions {
  storage: Storage;
  /** The jobs file's key in `storage` (default `jobs.json`). */
  key?: string;
  logger: Logger;
}

interface JobsFile {
  version: 1;
  jobs: StoredCronJob[];
}

/** `jobs.json`: every job with its state, rewritten whole (atomically) on each change. */
export class CronJobStore {
  readonly #storage: Storage;
  readonly #key: string;
  readonly #logger: Logger;

  constructor(options: CronJobStoreOptions) {
    this.#storage = options.storage;
    this.#key = options.key ?? "jobs.json";
    this.#logger = options.logger;
  }

  /** Where the file is, for `cron.status`. */
  get path(): string {
    return this.#storage.locate?.(this.#key) ?? this.#key;
  }

  async load(): Promise<StoredCronJob[]> {
    const text = await this.#storage.read(this.#key);
    if (text === undefined) return [];
    let parsed: Partial<JobsFile>;
    try {
      parsed = JSON.parse(text) as Partial<JobsFile>;
    } catch (err) {
      // Refusing to start over a damaged file keeps it for the operator instead of overwriting it with nothing.
      throw new Error(
        `cron jobs file ${this.path} is not valid JSON: ${(err as Error).message}`,
      );
    }
    const jobs = Array.isArray(parsed.jobs) ? parsed.jobs : [];
    const valid = jobs.filter(
      (j) => j && typeof j.id === "string" && j.schedule && j.payload,
    );
    if (valid.length < jobs.length)
      this.#logger.log(
        "warn",
        "cron",
        `skipped ${jobs.length - valid.length} malformed job(s) in ${this.path}`,
      );
    for (const job of valid) job.state ??= {};
    return valid;
  }

  /** Writes the jobs as they are now; writes land in call order. */
  save(jobs: Iterable<StoredCronJob>): Promise<void> {
    const file: JobsFile = { version: 1, jobs: [...jobs] };
    return this.#storage.write(this.#key, JSON.stringify(file, null, 2) + "\n");
  }
}
