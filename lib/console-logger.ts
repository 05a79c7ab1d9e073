import type { LogLevel, Logger } from './logger.js';
import { isLevelEnabled, type LogThreshold } from './logging/log-levels.js';

const SECRET_KEYS = /token|password|secret|apikey|api_key|authorization/i;

/** `pretty`: time, level and subsystem; `compact`: no time; `json`: one JSON object per line. */
export type ConsoleStyle = 'pretty' | 'compact' | 'json';

export interface ConsoleLoggerOptions {
  /** Lowest level written. Default `info`; `--verbose` uses `debug`; `silent` writes nothing. */
  level?: LogThreshold;
  style?: ConsoleStyle;
  /** ANSI colours for the level tag (pretty and compact only). Default false. */
  color?: boolean;
  /** Where lines go. Default: stderr for warn and above, stdout otherwise. */
  write?: (line: string, level: LogLevel) => void;
  /** Secret values to mask wherever they appear (tokens, passwords). Read at each log call. */
  secrets?: () => Iterable<string | undefined>;
  /** `logging.redactSensitive` / `redactPatterns` (see createLogRedactor), applied to each line. */
  redact?: (text: string) => string;
  now?: () => Date;
}

const COLORS: Partial<Record<LogLevel, string>> = { debug: '\x1b[90m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[35m' };

/** Human-readable console logger: `12:00:00.000 [gateway/ws] message key=value`, secrets masked. */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const threshold = options.level ?? 'info';
  const style = options.style ?? 'pretty';
  const write =
    options.write ??
    ((line: string, level: LogLevel) => (isLevelEnabled('warn', level) ? process.stderr : process.stdout).write(line + '\n'));
  const now = options.now ?? (() => new Date());
  return {
    enabled: (level) => isLevelEnabled(threshold, level),
    log(level, subsystem, message, meta) {
      if (!isLevelEnabled(threshold, level)) return;
      let line: string;
      if (style === 'json') {
        line = JSON.stringify({ time: now().toISOString(), level, subsystem, message, ...(meta ? maskSecretFields(meta) : {}) });
      } else {
        const fields = meta ? Object.entries(meta).map(([k, v]) => `${k}=${formatValue(k, v)}`) : [];
        let tag = level === 'info' ? '' : ` ${level.toUpperCase()}`;
        if (tag && options.color && COLORS[level]) tag = `${COLORS[level]}${tag}\x1b[0m`;
        const time = style === 'pretty' ? now().toISOString().slice(11, 23) : '';
        const head = `${time}${tag}`.trimStart();
        line = `${head ? head + ' ' : ''}[${subsystem}] ${message}${fields.length ? ' ' + fields.join(' ') : ''}`;
      }
      const masked = redactSecrets(line, options.secrets?.() ?? []);
      write(options.redact ? options.redact(masked) : masked, level);
    },
  };
}

function formatValue(key: string, value: unknown): string {
  if (SECRET_KEYS.test(key)) return '***';
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** A copy of `meta` whose secret-looking keys (token, password, apiKey, ...) are masked, at any depth. */
export function maskSecretFields(meta: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (SECRET_KEYS.test(key) && value !== undefined && value !== null) out[key] = '***';
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) out[key] = maskSecretFields(value as Record<string, unknown>);
    else out[key] = value;
  }
  return out;
}

/** Masks every occurrence of each secret (ignoring very short values, which would mask noise). */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 6) out = out.split(secret).join('***');
  }
  return out;
}
