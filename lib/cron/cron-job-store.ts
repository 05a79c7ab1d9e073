import { GatewayError } from "../errors.js";
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

/** A shared save rereads and retries this often before it gives up (other instances keep winning). */
const MAX_RACES = 8;

/**
 * `jobs.json`: every job with its state, rewritten whole (atomically) on each change.
 *
 * On shared storage (a cluster store: `compareAndSet` and `onExternalChange`) several processes
 * keep the same file: a save rereads it, replaces only the jobs this process changed, and writes
 * only if the file still holds what was read (else it rereads and merges again), so no process
 * loses another's job or run state.
 */
export class CronJobStore {
  readonly #storage: Storage;
  readonly #key: string;
  readonly #logger: Logger;

  constructor(options: CronJobStoreOptions) {
    this.#storage = options.storage;
    this.#key = options.key ?? "jobs.json";
    this.#logger = options.logger;
  }

  /** Whether other processes share the file (a cluster store). */
  get shared(): boolean {
    return (
      typeof this.#storage.compareAndSet === "function" &&
      typeof this.#storage.onExternalChange === "function"
    );
  }

  /** Shared storage: called when another process changed the file. Returns the unsubscribe. */
  onExternalChange(listener: () => void): () => void {
    const off = this.#storage.onExternalChange?.((key) => {
      if (key === "*" || key === this.#key) listener();
    });
    return off ?? (() => undefined);
  }

  /** Where the file is, for `cron.status`. */
  get path(): string {
    return this.#storage.locate?.(this.#key) ?? this.#key;
  }

  async load(): Promise<StoredCronJob[]> {
    return this.#parse(await this.#storage.read(this.#key));
  }

  /**
   * Shared storage: writes the file as read fresh with the jobs `changed` names replaced by
   * `jobs`' version of them (or dropped, when `jobs` has none), by compare-and-set; returns what
   * the file now holds.
   */
  async merge(
    jobs: ReadonlyMap<string, StoredCronJob>,
    changed: Iterable<string>,
  ): Promise<StoredCronJob[]> {
    const ids = new Set(changed);
    for (let attempt = 0; attempt < MAX_RACES; attempt++) {
      const text = await this.#storage.read(this.#key);
      const merged: StoredCronJob[] = [];
      for (const job of this.#parse(text)) {
        if (!ids.has(job.id)) merged.push(job);
        else if (jobs.has(job.id)) merged.push(jobs.get(job.id)!);
      }
      const present = new Set(merged.map((j) => j.id));
      for (const id of ids)
        if (!present.has(id) && jobs.has(id)) merged.push(jobs.get(id)!);
      if (
        await this.#storage.compareAndSet!(this.#key, text, serialize(merged))
      )
        return merged;
    }
    throw new GatewayError(
      "UNAVAILABLE",
      `cron jobs file ${this.path} is busy: too many concurrent changes, try again`,
      { retryable: true },
    );
  }

  #parse(text: string | undefined): StoredCronJob[] {
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
    return this.#storage.write(this.#key, serialize(jobs));
  }
}

function serialize(jobs: Iterable<StoredCronJob>): string {
  const file: JobsFile = { version: 1, jobs: [...jobs] };
  return JSON.stringify(file, null, 2) + "\n";
}
