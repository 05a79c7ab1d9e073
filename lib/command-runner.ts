/** How to run one external command (an installer, a package manager). */
export interface CommandRunOptions {
  cwd?: string;
  /** The child's whole environment; the runner adds nothing to it. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Killed after this long; the result then has `timedOut: true`. */
  timeoutMs?: number;
}

export interface CommandResult {
  /** Exit code; null when the command could not start, timed out or died of a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

/**
 * Runs external commands for features that install or update things (`skills.install`,
 * `update.run`). The core only sees this interface; `runtime/child-process-runner.ts` is the
 * real one. argv is never handed to a shell.
 */
export interface CommandRunner {
  run(argv: readonly string[], options?: CommandRunOptions): Promise<CommandResult>;
}
