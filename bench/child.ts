import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { withTimeout } from './log.js';

/** Keeps the last few KB of a child's stderr for error messages. */
export function tailOf(child: ChildProcess, max = 4_000): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-max);
  });
  return () => tail.trim();
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves once it is gone. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  try {
    await withTimeout(exited, graceMs, 'child exit');
  } catch {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Line-oriented request/response over a child's stdin/stdout. */
export class LineChannel {
  readonly #lines: Interface;
  readonly #queue: string[] = [];
  #waiter?: (line: string) => void;
  #closed = false;

  constructor(readonly child: ChildProcess) {
    this.#lines = createInterface({ input: child.stdout! });
    this.#lines.on('line', (line) => {
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w(line);
      } else {
        this.#queue.push(line);
      }
    });
    this.#lines.on('close', () => {
      this.#closed = true;
    });
  }

  next(timeoutMs: number, what: string): Promise<string> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#closed) return Promise.reject(new Error(`${what}: child stdout closed`));
    let onExit: (() => void) | undefined;
    const exited = new Promise<never>((_, reject) => {
      onExit = () => reject(new Error(`${what}: child exited (${this.child.signalCode ?? this.child.exitCode})`));
      this.child.once('exit', onExit);
    });
    const line = new Promise<string>((resolve) => {
      this.#waiter = resolve;
    });
    return withTimeout(Promise.race([line, exited]), timeoutMs, what).finally(() => {
      this.#waiter = undefined;
      if (onExit) this.child.off('exit', onExit);
    });
  }

  async request(command: string, timeoutMs: number): Promise<string> {
    this.child.stdin!.write(command + '\n');
    return this.next(timeoutMs, `child "${command}"`);
  }

  close(): void {
    this.#lines.close();
  }
}

export { spawn };
