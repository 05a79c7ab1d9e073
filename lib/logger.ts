export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Structured logger the core writes to; hosts plug in their own sink. */
export interface Logger {
  log(level: LogLevel, subsystem: string, message: string, meta?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { log() {} };
