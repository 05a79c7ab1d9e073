import { silentLogger, type Logger } from './logger.js';
import type { AppendStorage, Storage } from './storage.js';

export interface RecordLogOptions {
  storage: Storage;
  /** The log's storage key (`delivery/outbox.jsonl`). */
  key: string;
  logger?: Logger;
}

/** A record to store under its id, or undefined to delete it. */
export type RecordChange<T> = readonly [id: string, value: T | undefined];

interface Line<T> {
  k: string;
  v?: T;
}

/** Below this many lines the log is never rewritten: small files are cheap to replay. */
const COMPACT_MIN_LINES = 64;

/**
 * A small durable map of JSON records: each change is one line appended to a JSONL file (fsync'd
 * by FileStorage) before it shows in memory, so a change that resolved survives a crash. The file
 * is rewritten from the live records (an atomic write) once dead lines outnumber them, and at load
 * when a crash left a torn last line. Storage without `append` rewrites the whole file per change.
 */
export class RecordLog<T> {
  readonly #storage: Storage;
  readonly #key: string;
  readonly #logger: Logger;
  readonly #records = new Map<string, T>();
  /** Lines in the file, live or dead: what decides a compaction. */
  #lines = 0;
  #loading?: Promise<ReadonlyMap<string, T>>;
  /** Changes run one at a time, in call order, so lines land in the order memory saw them. */
  #tail: Promise<unknown> = Promise.resolve();
  /** An append failed: the file may not match memory until it is rewritten whole. */
  #diverged = false;

  constructor(options: RecordLogOptions) {
    this.#storage = options.storage;
    this.#key = options.key;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Reads the file once; later calls share that read. The map stays current with every write. */
  load(): Promise<ReadonlyMap<string, T>> {
    this.#loading ??= this.#read().catch((err: unknown) => {
      // A failed read (an unreadable disk) is tried again by the next caller.
      this.#loading = undefined;
      throw err;
    });
    return this.#loading;
  }

  /** Applies the changes (one append), then to memory; resolves once they are durable. */
  write(changes: ReadonlyArray<RecordChange<T>>): Promise<void> {
    return this.update(() => changes).then(() => undefined);
  }

  /**
   * Like `write`, with the changes computed from the records as they are when this change's turn
   * comes (after every earlier change); resolves with what `compute` returned.
   */
  update(compute: (records: ReadonlyMap<string, T>) => ReadonlyArray<RecordChange<T>>): Promise<ReadonlyArray<RecordChange<T>>> {
    const run = this.#tail.then(async () => {
      const changes = compute(await this.load());
      if (!changes.length) return changes;
      const text = changes.map(([k, v]) => JSON.stringify(v === undefined ? { k } : { k, v }) + '\n').join('');
      if (isAppendStorage(this.#storage) && !this.#diverged) {
        try {
          await this.#storage.append(this.#key, text);
        } catch (err) {
          // Part of the line (or all of it, unsynced) may be on disk: a torn line would swallow the
          // next append, and a whole one would bring back a change its caller was told failed. The
          // file is rewritten from memory, now if possible, else before the next change.
          this.#diverged = !(await this.#compact());
          throw err;
        }
        this.#lines += changes.length;
        this.#apply(changes);
        if (this.#lines > COMPACT_MIN_LINES && this.#lines > 2 * this.#records.size) await this.#compact();
      } else {
        const next = new Map(this.#records);
        for (const [k, v] of changes) setOrDelete(next, k, v);
        await this.#storage.write(this.#key, snapshot(next));
        this.#apply(changes);
        this.#lines = next.size;
        this.#diverged = false;
      }
      return changes;
    });
    // Each caller sees its own failure; the chain only needs the change finished.
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<ReadonlyMap<string, T>> {
    const text = (await this.#storage.read(this.#key)) ?? '';
    let torn = 0;
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      this.#lines++;
      let line: Line<T>;
      try {
        line = JSON.parse(raw) as Line<T>;
      } catch {
        torn++;
        continue;
      }
      if (typeof line?.k !== 'string') {
        torn++;
        continue;
      }
      setOrDelete(this.#records, line.k, line.v);
    }
    if (torn) this.#logger.log('warn', 'storage', `skipped ${torn} unreadable line(s) of ${this.#storage.locate?.(this.#key) ?? this.#key}`);
    // A torn tail would swallow the next appended line; rewriting first keeps that one whole.
    if (torn || (text && !text.endsWith('\n')) || this.#lines > this.#records.size) await this.#compact();
    return this.#records;
  }

  #apply(changes: ReadonlyArray<RecordChange<T>>): void {
    for (const [k, v] of changes) setOrDelete(this.#records, k, v);
  }

  /** Rewrites the file from memory; false (logged) when that failed and the next change must retry. */
  async #compact(): Promise<boolean> {
    try {
      await this.#storage.write(this.#key, snapshot(this.#records));
      this.#lines = this.#records.size;
      return true;
    } catch (err) {
      this.#logger.log('warn', 'storage', `compacting ${this.#key} failed: ${(err as Error).message}`);
      return false;
    }
  }
}

function snapshot<T>(records: ReadonlyMap<string, T>): string {
  return [...records].map(([k, v]) => JSON.stringify({ k, v }) + '\n').join('');
}

function setOrDelete<T>(map: Map<string, T>, key: string, value: T | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

function isAppendStorage(storage: Storage): storage is AppendStorage {
  return typeof (storage as Partial<AppendStorage>).append === 'function';
}
