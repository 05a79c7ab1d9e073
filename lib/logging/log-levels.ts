import type { LogLevel } from '../logger.js';

/** A level threshold as config files spell it: a log level, or `silent` for nothing at all. */
export type LogThreshold = LogLevel | 'silent';

const RANK: Record<LogThreshold, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** Whether a logger set to `threshold` writes a line of `level`. */
export function isLevelEnabled(threshold: LogThreshold, level: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

/** tslog's numeric level ids, which file-log readers expect in `_meta.logLevelId`. */
export const TSLOG_LEVEL_ID: Record<LogLevel, number> = { trace: 1, debug: 2, info: 3, warn: 4, error: 5, fatal: 6 };
