import { spawn } from 'node:child_process';
import type { CommandResult, CommandRunner, CommandRunOptions } from '../lib/command-runner.js';

const MAX_OUTPUT_CHARS = 1_000_000;

/** Runs commands as child processes, without a shell; output is kept up to 1 MB per stream. */
export class ChildProcessRunner implements CommandRunner {
  run(argv: readonly string[], options: CommandRunOptions = {}): Promise<CommandResult> {
    const [command, ...args] = argv;
    if (!command) return Promise.resolve({ code: null, stdout: '', stderr: 'empty command' });
    return new Promise((resolve) => {
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let settled = false;
      const finish = (result: CommandResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(timedOut ? { ...result, code: null, timedOut: true } : result);
      };
      // Its own process group (POSIX), so a timeout stops what it started too (npm's scripts).
      const group = process.platform !== 'win32';
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ? definedOnly(options.env) : process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
        detached: group,
      });
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              try {
                if (group && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
                else child.kill('SIGKILL');
              } catch {
                child.kill('SIGKILL');
              }
              // Grandchildren may still hold the pipes open: answer now, without waiting for them.
              child.stdout.destroy();
              child.stderr.destroy();
              finish({ code: null, stdout, stderr });
            }, options.timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = cap(stdout + chunk)));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = cap(stderr + chunk)));
      child.on('error', (err) => finish({ code: null, stdout, stderr: `${stderr}${stderr && !stderr.endsWith('\n') ? '\n' : ''}${command}: ${err.message}` }));
      child.on('close', (code) => finish({ code, stdout, stderr }));
    });
  }
}

function cap(text: string): string {
  return text.length > MAX_OUTPUT_CHARS ? text.slice(-MAX_OUTPUT_CHARS) : text;
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
