import type { LogLevel, Logger } from '../logger.js';

/**
 * Writes every line to several loggers (console and file). The targets can be swapped while
 * components keep their reference, which is how a hot config reload re-levels logging.
 */
export class TeeLogger implements Logger {
  #targets: readonly Logger[];

  constructor(targets: readonly Logger[]) {
    this.#targets = targets;
  }

  setTargets(targets: readonly Logger[]): void {
    this.#targets = targets;
  }

  enabled(level: LogLevel): boolean {
    return this.#targets.some((target) => target.enabled?.(level) ?? true);
  }

  log(level: LogLevel, subsystem: string, message: string, meta?: Record<string, unknown>): void {
    for (const target of this.#targets) {
      // One broken sink (a full disk) must not silence the others or throw into the caller.
      try {
        target.log(level, subsystem, message, meta);
      } catch {
        continue;
      }
    }
  }
}
