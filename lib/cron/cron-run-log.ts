import type { CronRunLogEntry } from "../protocol/generated/types.js";
import type { AppendStorage } from "../storage.js";

export interface CronRunLogOptions {
  /** Storage rooted at the jobs file's folder: logs go to `runs/<jobId>.jsonl`. */
  storage: AppendStorage;
  /** Entries kept per job (default 2000); the oldest go first. */
  maxEntries?: number;
}

/** Lines appended past the bound before the file is cut back to it: one rewrite per this many runs. */
const SLACK = 200;

/**
 * One JSONL file of finished runs per job, appended (fsync'd) per run and cut back to the newest
 * `maxEntries` with an atomic rewrite once it outgrows them.
 */
export class CronRunLog {
  readonly #storage: AppendStorage;
  readonly #max: number;
  /** Lines per job file as last counted; read once per job on its first append. */
  readonly #lines = new Map<string, number>();
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(options: CronRunLogOptions) {
    this.#storage = options.storage;
    this.#max = options.maxEntries ?? 2000;
  }

  append(entry: CronRunLogEntry): Promise<void> {
    return this.#serial(entry.jobId, async () => {
      const key = keyOf(entry.jobId);
      const count =
        this.#lines.get(entry.jobId) ??
        (await this.#readLines(entry.jobId)).length;
      await this.#storage.append(key, JSON.stringify(entry) + "\n");
      this.#lines.set(entry.jobId, count + 1);
      if (count + 1 > this.#max + SLACK) {
        const kept = (await this.#readLines(entry.jobId)).slice(-this.#max);
        await this.#storage.write(key, kept.map((l) => l + "\n").join(""));
        this.#lines.set(entry.jobId, kept.length);
      }
    });
  }

  /** The job's entries, oldest first; unreadable lines (a torn last write) are skipped. */
  async read(jobId: string): Promise<CronRunLogEntry[]> {
    const out: CronRunLogEntry[] = [];
    for (const line of await this.#readLines(jobId)) {
      try {
        const entry = JSON.parse(line) as CronRunLogEntry;
        if (entry && typeof entry.ts === "number" && entry.jobId === jobId)
          out.push(entry);
      } catch {
        // A line cut by a crash mid-append carries no run worth reporting.
      }
    }
    return out;
  }

  remove(jobId: string): Promise<void> {
    return this.#serial(jobId, async () => {
      this.#lines.delete(jobId);
      await this.#storage.remove?.(keyOf(jobId));
    });
  }

  async #readLines(jobId: string): Promise<string[]> {
    const text = (await this.#storage.read(keyOf(jobId))) ?? "";
    return text.split("\n").filter((l) => l.trim());
  }

  #serial<T>(jobId: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(jobId) ?? Promise.resolve())
      .catch(() => undefined)
      .then(task);
    const tail = run.catch(() => undefined);
    this.#chains.set(jobId, tail);
    const settled = () => {
      if (this.#chains.get(jobId) === tail) this.#chains.delete(jobId);
    };
    tail.then(settled, settled);
    return run;
  }
}

function keyOf(jobId: string): string {
  // Job ids are ours (UUIDs), but a hand-edited jobs.json must not name a path outside runs/.
  return `runs/${encodeURIComponent(jobId)}.jsonl`;
}
