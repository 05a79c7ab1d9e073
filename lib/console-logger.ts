import type { LogLevel, Logger } from './logger.js';

const LEVELS: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const SECRET_KEYS = /token|password|secret|apikey|api_key|authorization/i;

export interface ConsoleLoggerOptions {
  /** Lowest level written. Default `info`; `--verbose` uses `debug`. */
  level?: LogLevel;
  /** Where lines go. Default: stderr for warn and above, stdout otherwise. */
  write?: (line: string, level: LogLevel) => void;
  /** Secret values to mask wherever they appear (tokens, passwords). Read at each log call. */
  secrets?: () => Iterable<string | undefined>;
  now?: () => Date;
}

/** Human-readable console logger: `12:00:00.000 [gateway/ws] message key=value`, secrets masked. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const write =
    options.write ??
    ((line: string, level: LogLevel) => (LEVELS[level] >= LEVELS.warn ? process.stderr : process.stdout).write(line + '\n'));
  const now = options.now ?? (() => new Date());
  return {
    log(level, subsystem, message, meta) {
      if (LEVELS[level] < min) return;
      const time = now().toISOString().slice(11, 23);
      const fields = meta ? Object.entries(meta).map(([k, v]) => `${k}=${formatValue(k, v)}`) : [];
      const tag = level === 'info' ? '' : ` ${level.toUpperCase()}`;
      const line = `${time}${tag} [${subsystem}] ${message}${fields.length ? ' ' + fields.join(' ') : ''}`;
      write(redactSecrets(line, options.secrets?.() ?? []), level);
    },
  };
}

function formatValue(key: string, value: unknown): string {
  if (SECRET_KEYS.test(key)) return '***';
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** Masks every occurrence of each secret (ignoring very short values, which would mask noise). */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 6) out = out.split(secret).join('***');
  }
  return out;
}
