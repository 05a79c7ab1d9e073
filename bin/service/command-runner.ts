import { execFile } from 'node:child_process';

export interface CommandResult {
  /** Exit code; -1 when the command could not be started (see `error`). */
  code: number;
  stdout: string;
  stderr: string;
  /** Why the command did not start (`ENOENT` when it is not installed). */
  error?: string;
}

/** Runs a program (no shell) and reports how it ended; never rejects. Injected so tests can fake it. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

export const execCommandRunner: CommandRunner = (command, args) =>
  new Promise((resolve) => {
    execFile(command, [...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      if (typeof e.code === 'string') return resolve({ code: -1, stdout, stderr, error: e.code });
      resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr });
    });
  });

/** The first useful line of a failed command, for error messages. */
export function commandFailure(command: string, args: readonly string[], result: CommandResult): string {
  const detail = result.error === 'ENOENT' ? 'not installed' : (result.stderr || result.stdout).trim().split('\n')[0] || `exit ${result.code}`;
  return `${command} ${args.join(' ')}: ${detail}`;
}
