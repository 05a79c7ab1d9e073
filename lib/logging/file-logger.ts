import { appendFileSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { maskSecretFields, redactSecrets } from '../console-logger.js';
import type { LogLevel, Logger } from '../logger.js';
import { isLevelEnabled, TSLOG_LEVEL_ID, type LogThreshold } from './log-levels.js';

/** `/tmp/openclaw` (the OS temp dir on Windows), where dated gateway logs go by default. */
export const DEFAULT_LOG_DIR = process.platform === 'win32' ? join(tmpdir(), 'openclaw') : '/tmp/openclaw';

/** Names of the dated log files: `openclaw-YYYY-MM-DD.log`. */
export const ROLLING_LOG_NAME = /^openclaw-\d{4}-\d{2}-\d{2}\.log$/;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The dated log file of `date` (local calendar date) in `dir`. */
export function rollingLogFile(date: Date, dir = DEFAULT_LOG_DIR): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return join(dir, `openclaw-${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}.log`);
}

export interface FileLoggerOptions {
  /** A fixed log file (`logging.file`). Without it, lines go to the dated file of the day in `dir`. */
  file?: string;
  /** Directory of the dated files. Default {@link DEFAULT_LOG_DIR}. */
  dir?: string;
  /** `logging.level`; default `info`. */
  level?: LogThreshold;
  /** Dated files last written longer ago than this are deleted. Default 24 h. */
  maxAgeMs?: number;
  /** Secret values masked wherever they appear. Read at each log call. */
  secrets?: () => Iterable<string | undefined>;
  now?: () => Date;
  /** Told (once per file) when a line cannot be written; logging itself never throws. */
  onError?: (error: Error, file: string) => void;
}

/**
 * JSON-lines file log in tslog's shape: message parts under `"0"`, `"1"`, `_meta` with
 * `logLevelName`, `date` and `name` (`{"subsystem":"..."}` as a JSON string), plus `time`.
 * Writes are synchronous appends so lines from one process never interleave or reorder.
 */
export class FileLogger implements Logger {
  readonly #options: FileLoggerOptions;
  readonly #now: () => Date;
  #level: LogThreshold;
  #openFile?: string;
  #failedFile?: string;

  constructor(options: FileLoggerOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#level = options.level ?? 'info';
  }

  /** The file the next line goes to. */
  get file(): string {
    return this.#options.file ?? rollingLogFile(this.#now(), this.#options.dir);
  }

  /** `logging.file` as given; undefined for the dated default. */
  get configuredFile(): string | undefined {
    return this.#options.file;
  }

  get level(): LogThreshold {
    return this.#level;
  }

  setLevel(level: LogThreshold): void {
    this.#level = level;
  }

  log(level: LogLevel, subsystem: string, message: string, meta?: Record<string, unknown>): void {
    if (!isLevelEnabled(this.#level, level)) return;
    const date = this.#now();
    const file = this.#options.file ?? rollingLogFile(date, this.#options.dir);
    const iso = date.toISOString();
    const entry: Record<string, unknown> = { '0': message };
    if (meta && Object.keys(meta).length > 0) entry['1'] = maskSecretFields(meta);
    entry._meta = {
      runtime: 'node',
      runtimeVersion: process.versions.node,
      hostname: hostname(),
      name: JSON.stringify({ subsystem }),
      date: iso,
      logLevelId: TSLOG_LEVEL_ID[level],
      logLevelName: level.toUpperCase(),
    };
    entry.time = iso;
    const line = redactSecrets(JSON.stringify(entry), this.#options.secrets?.() ?? []);
    try {
      if (file !== this.#openFile) this.#open(file, date);
      appendFileSync(file, line + '\n', { encoding: 'utf8', mode: 0o600 });
      this.#failedFile = undefined;
    } catch (err) {
      if (this.#failedFile !== file) {
        this.#failedFile = file;
        this.#options.onError?.(err as Error, file);
      }
    }
  }

  /** Creates the directory and, for dated files, prunes the stale ones: once per file switch. */
  #open(file: string, date: Date): void {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.#openFile = file;
    if (this.#options.file === undefined) pruneRollingLogs(dirname(file), date.getTime() - (this.#options.maxAgeMs ?? DAY_MS), file);
  }
}

/** Deletes `openclaw-YYYY-MM-DD.log` files in `dir` last modified before `cutoffMs`, except `keep`. */
export function pruneRollingLogs(dir: string, cutoffMs: number, keep?: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (!ROLLING_LOG_NAME.test(name) || path === keep) continue;
    try {
      if (statSync(path).mtimeMs < cutoffMs) {
        unlinkSync(path);
        removed.push(path);
      }
    } catch {
      // Another gateway on this host may prune the same file at the same time.
      continue;
    }
  }
  return removed;
}
