import { setTimeout as sleep } from 'node:timers/promises';
import { parseLogLine } from '../lib/logging/parse-log-line.js';
import type { LogsTailResult } from '../lib/protocol/generated/types.js';
import type { CliContext } from './cli-context.js';
import { openRpcSession, type RpcFlags, type RpcSession } from './rpc.js';

export interface LogsFlags extends RpcFlags {
  limit?: number;
  maxBytes?: number;
  follow?: boolean;
  /** Poll interval of `--follow`, ms. */
  interval?: number;
  json?: boolean;
  /** No ANSI colours (also `--no-color` and NO_COLOR). */
  plain?: boolean;
  color?: boolean;
}

export interface LogsOutput {
  write: (text: string) => void;
  isTTY?: boolean;
  /** Ends `--follow` (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
}

const LEVEL_COLORS: Record<string, string> = { debug: '\x1b[90m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[35m' };

/**
 * `openclaw logs`: polls `logs.tail` on the running gateway and prints the lines. `--follow` keeps
 * polling with the returned cursor and reconnects across gateway restarts; `--json` writes one
 * object per line (`meta` first, then `log` / `raw` / `notice` / `error`).
 */
export async function runLogs(ctx: CliContext, flags: LogsFlags, output: LogsOutput): Promise<number> {
  const limit = flags.limit ?? 200;
  const maxBytes = flags.maxBytes ?? 250_000;
  const interval = Math.max(50, flags.interval ?? 1000);
  const color = !flags.json && !flags.plain && flags.color !== false && !ctx.env.NO_COLOR && Boolean(output.isTTY);
  const emit = (value: Record<string, unknown>) => output.write(`${JSON.stringify(value)}\n`);
  const notice = (message: string) => (flags.json ? emit({ type: 'notice', message }) : output.write(`-- ${message}\n`));

  let session: RpcSession | undefined = await openRpcSession(ctx, flags);
  let file: string | undefined;
  let cursor: number | undefined;
  try {
    for (;;) {
      let result: LogsTailResult;
      try {
        session ??= await openRpcSession(ctx, flags);
        result = await session.client.call('logs.tail', { ...(cursor === undefined ? {} : { cursor }), limit, maxBytes }, { timeoutMs: flags.timeout });
      } catch (err) {
        if (!flags.follow) throw err;
        const message = `gateway unreachable (${(err as Error).message}); retrying`;
        if (flags.json) emit({ type: 'error', message });
        else output.write(`-- ${message}\n`);
        await session?.close();
        session = undefined;
        if (!(await wait(interval, output.signal))) return 0;
        continue;
      }
      if (file === undefined) {
        if (flags.json) emit({ type: 'meta', file: result.file, cursor: result.cursor, size: result.size });
      } else if (result.file !== file) {
        // A new file (midnight, logging.file changed): start it from the top, not at the old offset.
        notice(`log file is now ${result.file}`);
        file = result.file;
        cursor = 0;
        continue;
      }
      file = result.file;
      if (cursor !== undefined && result.reset) notice('log cursor reset (file was replaced or rotated)');
      if (result.truncated) notice(`output truncated to the last ${maxBytes} bytes (raise --max-bytes to see more)`);
      for (const line of result.lines) {
        if (flags.json) emit(jsonLine(line));
        else output.write(`${formatLine(line, color)}\n`);
      }
      cursor = result.cursor;
      if (!flags.follow || !(await wait(interval, output.signal))) return 0;
    }
  } finally {
    await session?.close();
  }
}

function jsonLine(raw: string): Record<string, unknown> {
  const parsed = parseLogLine(raw);
  if (!parsed) return { type: 'raw', raw };
  return {
    type: 'log',
    time: parsed.time ?? null,
    level: parsed.level ?? null,
    subsystem: parsed.subsystem ?? null,
    module: parsed.module ?? null,
    message: parsed.message,
    raw,
  };
}

function formatLine(raw: string, color: boolean): string {
  const parsed = parseLogLine(raw);
  if (!parsed) return raw;
  const time = parsed.time ? localTime(parsed.time) : '';
  const level = (parsed.level ?? 'info').toUpperCase().padEnd(5);
  const tag = color && parsed.level && LEVEL_COLORS[parsed.level] ? `${LEVEL_COLORS[parsed.level]}${level}\x1b[0m` : level;
  return `${time} ${tag} ${parsed.subsystem ? `[${parsed.subsystem}] ` : ''}${parsed.message}`.trimStart();
}

function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Sleeps; false when the signal ended the wait. */
async function wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
