import { createConsoleLogger } from '../lib/console-logger.js';
import type { OpenClawConfig } from '../lib/config/index.js';
import type { Logger } from '../lib/logger.js';
import { DEFAULT_MAX_LOG_FILE_BYTES, FileLogger } from '../lib/logging/file-logger.js';
import { createLogRedactor, type LogRedactor } from '../lib/logging/log-redactor.js';
import { TeeLogger } from '../lib/logging/tee-logger.js';

export interface RuntimeLogsOptions {
  /** Where console lines go. */
  out: (line: string) => void;
  /** Redacted from every line (the gateway token and password). */
  secrets: () => Array<string | undefined>;
  /** Directory of the dated file logs when `logging.file` is unset; default `defaultLogDir()` (private to the user). */
  logDir?: string;
  color?: boolean;
  /** A host's own logger, one more target. */
  extra?: Logger;
}

/**
 * The runtime's logs: one tee that every component keeps, whose console and file targets are
 * rebuilt from `logging.*` at start and on each reload.
 */
export class RuntimeLogs {
  readonly logger = new TeeLogger([]);
  readonly #options: RuntimeLogsOptions;
  #fileLogger?: FileLogger;
  #redact: LogRedactor = createLogRedactor(undefined);

  constructor(options: RuntimeLogsOptions) {
    this.#options = options;
  }

  /** Where file log lines currently go. */
  get file(): string | undefined {
    return this.#fileLogger?.file;
  }

  /** Masks `text` as the file log and console do (`logging.redactSensitive` / `redactPatterns`); `logs.tail` uses it. */
  redact(text: string): string {
    return this.#redact(text);
  }

  /** Throws CONFIG_INVALID (naming the pattern) for a `logging.redactPatterns` entry that is not a regular expression. */
  apply(logging: NonNullable<OpenClawConfig['logging']>, verbose: boolean): void {
    const { out, secrets, logDir, color, extra } = this.#options;
    this.#redact = createLogRedactor(logging);
    const redact = (text: string) => this.#redact(text);
    const consoleLogger = createConsoleLogger({
      level: verbose ? 'debug' : (logging.consoleLevel ?? 'info'),
      style: logging.consoleStyle ?? 'pretty',
      color,
      write: out,
      secrets,
      redact,
    });
    const maxFileBytes = logging.maxFileBytes ?? DEFAULT_MAX_LOG_FILE_BYTES;
    if (!this.#fileLogger || this.#fileLogger.configuredFile !== logging.file || this.#fileLogger.maxFileBytes !== maxFileBytes) {
      this.#fileLogger = new FileLogger({
        file: logging.file,
        dir: logDir,
        maxFileBytes,
        level: logging.level ?? 'info',
        secrets,
        redact,
        onError: (err, file) => consoleLogger.log('warn', 'gateway', `cannot write the file log ${file}: ${err.message}`),
      });
    } else {
      this.#fileLogger.setLevel(logging.level ?? 'info');
    }
    this.logger.setTargets([consoleLogger, this.#fileLogger, ...(extra ? [extra] : [])]);
  }
}
