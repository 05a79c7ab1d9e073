import { inspect } from 'node:util';
import type { Logger } from '../lib/logger.js';

/** The exit code after a crash: non-zero, so a supervisor restarts the gateway. */
export const CRASH_EXIT_CODE = 1;

/** How long closing may take after a crash before the process exits anyway. */
export const DEFAULT_CRASH_CLOSE_DEADLINE_MS = 5000;

/** The parts of `process` the policy uses. */
export interface CrashProcess {
  on(event: 'uncaughtException' | 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException' | 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code: number): void;
  exitCode?: number | string | null;
}

export interface CrashPolicyOptions {
  /** Where the crash is reported: the runtime's log (console and file log). */
  logger: Logger;
  /** Releases what the process holds (the runtime's `stop`: port, sockets, state). */
  close: () => Promise<void>;
  /** Default {@link DEFAULT_CRASH_CLOSE_DEADLINE_MS}. */
  closeDeadlineMs?: number;
  /** Default `process`. */
  process?: CrashProcess;
}

/**
 * The CLI's answer to an unhandled rejection or uncaught exception: after one, the process state
 * is unknown, so it logs the error with its stack, closes the runtime (bounded by a deadline,
 * since the close may hang on what broke) and exits with {@link CRASH_EXIT_CODE} for the
 * supervisor to start a clean process. Only for a process the CLI owns; the runtime never installs
 * process handlers. Returns the uninstall function.
 */
export function installCrashPolicy(options: CrashPolicyOptions): () => void {
  const proc = options.process ?? process;
  const deadlineMs = options.closeDeadlineMs ?? DEFAULT_CRASH_CLOSE_DEADLINE_MS;
  let crashing = false;

  const crash = (what: string) => (reason: unknown) => {
    const detail = reason instanceof Error ? (reason.stack ?? String(reason)) : `non-Error value ${inspect(reason)}`;
    if (crashing) {
      log(options.logger, 'error', `another ${what} while closing after a crash: ${detail}`);
      return;
    }
    crashing = true;
    // Also the code if the loop empties before `exit` below runs.
    proc.exitCode = CRASH_EXIT_CODE;
    log(options.logger, 'fatal', `${what}, closing the gateway and exiting with code ${CRASH_EXIT_CODE}: ${detail}`);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        log(options.logger, 'error', `closing took longer than ${deadlineMs} ms; exiting without waiting`);
        resolve();
      }, deadlineMs);
    });
    const closed = options.close().catch((err: unknown) => log(options.logger, 'error', `closing after the crash failed: ${(err as Error).message}`));
    const exit = () => {
      clearTimeout(timer);
      proc.exit(CRASH_EXIT_CODE);
    };
    Promise.race([closed, deadline]).then(exit, exit);
  };

  const onException = crash('uncaught exception');
  const onRejection = crash('unhandled promise rejection');
  proc.on('uncaughtException', onException);
  proc.on('unhandledRejection', onRejection);
  return () => {
    proc.off('uncaughtException', onException);
    proc.off('unhandledRejection', onRejection);
  };
}

/** A logger that throws (stdout gone: EPIPE) must not turn the crash handler into a second crash. */
function log(logger: Logger, level: 'fatal' | 'error', message: string): void {
  try {
    logger.log(level, 'gateway', message);
  } catch {
    return;
  }
}
