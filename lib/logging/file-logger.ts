import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { maskSecretFields, redactSecrets } from '../console-logger.js';
import { GatewayError } from '../errors.js';
import type { LogLevel, Logger } from '../logger.js';
import { isLevelEnabled, TSLOG_LEVEL_ID, type LogThreshold } from './log-levels.js';
import { defaultLogDir, ensurePrivateLogDir } from './private-log-dir.js';
import { rotateLogFile } from './rotate-log-file.js';

/** Names of the dated log files: `openclaw-YYYY-MM-DD.log`. */
export const ROLLING_LOG_NAME = /^openclaw-\d{4}-\d{2}-\d{2}\.log$/;

/** The dated files and their rotated copies (`openclaw-YYYY-MM-DD.1.log`): what age pruning removes. */
const ROLLING_LOG_FAMILY = /^openclaw-\d{4}-\d{2}-\d{2}(?:\.\d+)?\.log$/;

/** `logging.maxFileBytes` when unset: a file is rotated before it passes 10 MB. */
export const DEFAULT_MAX_LOG_FILE_BYTES = 10 * 1024 * 1024;

/** Rotated copies kept per log file (`x.1.log` … `x.3.log`) when not told otherwise. */
export const DEFAULT_ROTATED_LOG_FILES = 3;

const DAY_MS = 24 * 60 * 60 * 1000;

// Where the platform has it (not Windows), a symlink planted at the log file's path fails the open.
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** The dated log file of `date` (local calendar date) in `dir`. */
export function rollingLogFile(date: Date, dir = defaultLogDir()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return join(dir, `openclaw-${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}.log`);
}

export interface FileLoggerOptions {
  /** A fixed log file (`logging.file`). Without it, lines go to the dated file of the day in `dir`. */
  file?: string;
  /**
   * Directory of the dated files. Default {@link defaultLogDir}. It must be this user's alone
   * (see {@link ensurePrivateLogDir}): checked whenever a dated file is opened, and no file log is
   * written while it is a symlink or someone else's.
   */
  dir?: string;
  /** The user the dated files' directory must belong to; default `process.getuid()`. */
  uid?: number;
  /** `logging.level`; default `info`. */
  level?: LogThreshold;
  /** Dated files last written longer ago than this are deleted. Default 24 h. */
  maxAgeMs?: number;
  /**
   * `logging.maxFileBytes`: a line that would take a file past this size first rotates it
   * (`x.log` → `x.1.log` → …). Default {@link DEFAULT_MAX_LOG_FILE_BYTES}.
   */
  maxFileBytes?: number;
  /** Rotated copies kept per file; older ones are deleted. Default {@link DEFAULT_ROTATED_LOG_FILES}. */
  rotatedFiles?: number;
  /** Secret values masked wherever they appear. Read at each log call. */
  secrets?: () => Iterable<string | undefined>;
  /** `logging.redactSensitive` / `redactPatterns`, applied to the message and string fields before the line is encoded. */
  redact?: (text: string) => string;
  now?: () => Date;
  /** Told (once per file) when a line cannot be written; logging itself never throws. */
  onError?: (error: Error, file: string) => void;
}

/**
 * JSON-lines file log in tslog's shape: message parts under `"0"`, `"1"`, `_meta` with
 * `logLevelName`, `date` and `name` (`{"subsystem":"..."}` as a JSON string), plus `time`.
 * Writes are synchronous appends so lines from one process never interleave or reorder; a file
 * never grows past `maxFileBytes` (bar one oversized line) and the log never follows a symlink at
 * a file's path.
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

  /** The size cap in force (`logging.maxFileBytes` or the default). */
  get maxFileBytes(): number {
    return this.#options.maxFileBytes ?? DEFAULT_MAX_LOG_FILE_BYTES;
  }

  get level(): LogThreshold {
    return this.#level;
  }

  setLevel(level: LogThreshold): void {
    this.#level = level;
  }

  enabled(level: LogLevel): boolean {
    return isLevelEnabled(this.#level, level);
  }

  log(level: LogLevel, subsystem: string, message: string, meta?: Record<string, unknown>): void {
    if (!isLevelEnabled(this.#level, level)) return;
    const date = this.#now();
    const file = this.#options.file ?? rollingLogFile(date, this.#options.dir);
    const iso = date.toISOString();
    const redact = this.#options.redact;
    const entry: Record<string, unknown> = { '0': redact ? redact(message) : message };
    if (meta && Object.keys(meta).length > 0) entry['1'] = redact ? redactStrings(maskSecretFields(meta), redact) : maskSecretFields(meta);
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
      this.#append(file, Buffer.from(line + '\n', 'utf8'));
      this.#failedFile = undefined;
    } catch (err) {
      // Checked (and created) again on the next line: the directory may have been removed or fixed.
      this.#openFile = undefined;
      if (this.#failedFile !== file) {
        this.#failedFile = file;
        this.#options.onError?.(err as Error, file);
      }
    }
  }

  /**
   * Creates the directory and, for dated files, checks that it is private and prunes the stale
   * ones: once per file switch. `logging.file` is the user's choice, so its directory is taken as is.
   */
  #open(file: string, date: Date): void {
    if (this.#options.file === undefined) ensurePrivateLogDir(dirname(file), { uid: this.#options.uid });
    else mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.#openFile = file;
    if (this.#options.file === undefined) pruneRollingLogs(dirname(file), date.getTime() - (this.#options.maxAgeMs ?? DAY_MS), file);
  }

  /** Opens per line, so a file moved away or deleted by someone else is simply created again. */
  #append(file: string, bytes: Buffer): void {
    let { fd, size } = openLogFile(file);
    try {
      if (size > 0 && size + bytes.length > this.maxFileBytes) {
        closeSync(fd);
        fd = -1;
        rotateLogFile(file, this.#options.rotatedFiles ?? DEFAULT_ROTATED_LOG_FILES);
        ({ fd } = openLogFile(file));
      }
      writeSync(fd, bytes);
    } finally {
      if (fd !== -1) closeSync(fd);
    }
  }
}

/** Redacts every string in a JSON-like value (before encoding, so a mask never breaks the JSON). */
function redactStrings(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, redact));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v, redact)]));
  return value;
}

/** Deletes `openclaw-YYYY-MM-DD[.N].log` files in `dir` last modified before `cutoffMs`, except `keep`. */
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
    if (!ROLLING_LOG_FAMILY.test(name) || path === keep) continue;
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

/** Opens `file` for appending (created 0600); a symlink or anything but a regular file is refused. */
function openLogFile(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, APPEND_FLAGS, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new GatewayError('UNAVAILABLE', `${file} is a symbolic link; the file log does not follow it`, { cause: err });
    throw err;
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    closeSync(fd);
    throw new GatewayError('UNAVAILABLE', `${file} is not a regular file`);
  }
  return { fd, size: stats.size };
}
