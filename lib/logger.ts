export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Structured logger the core writes to; hosts plug in their own sink. */
export interface Logger {
  log(level: LogLevel, subsystem: string, message: string, meta?: Record<string, unknown>): void;
  /**
   * Whether a line of `level` would be written anywhere, so hot paths skip building lines nobody
   * reads (per-request debug lines). A logger without it is assumed to take every level.
   */
  enabled?(level: LogLevel): boolean;
}

export const silentLogger: Logger = { log() {}, enabled: () => false };
