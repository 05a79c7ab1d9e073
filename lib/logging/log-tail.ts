import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GatewayError } from '../errors.js';
import type { LogsTailResult } from '../protocol/generated/types.js';
import { ROLLING_LOG_NAME } from './file-logger.js';

export const LOG_TAIL_DEFAULT_LIMIT = 500;
export const LOG_TAIL_DEFAULT_MAX_BYTES = 250_000;

export interface LogTailRequest {
  /** The configured log file (today's dated file, or `logging.file`). */
  file: string;
  /** Byte offset from a previous read (its `cursor`); absent reads the last `maxBytes`. */
  cursor?: number;
  limit?: number;
  maxBytes?: number;
  /** Applied to each line read: lines written before a pattern was configured are masked too. */
  redact?: (line: string) => string;
}

/**
 * One `logs.tail` read. The result's `cursor` is the file size, to pass back
 * next time. A cursor past the end means the file was replaced (`reset`); a gap larger than
 * `maxBytes` jumps ahead (`reset` + `truncated`). A line cut by the start offset is dropped.
 * Any read failure is `UNAVAILABLE "log read failed: ..."`.
 */
export async function readLogTail(request: LogTailRequest): Promise<LogsTailResult> {
  const limit = clamp(request.limit ?? LOG_TAIL_DEFAULT_LIMIT, 1, 5000);
  const maxBytes = clamp(request.maxBytes ?? LOG_TAIL_DEFAULT_MAX_BYTES, 1, 1_000_000);
  try {
    const file = await resolveLogFile(request.file);
    const size = await fileSize(file);
    if (size === undefined) return { file, cursor: 0, size: 0, lines: [] };

    let start: number;
    let reset = false;
    let truncated = false;
    const cursor = request.cursor;
    if (cursor === undefined) {
      start = Math.max(0, size - maxBytes);
      truncated = start > 0;
    } else if (cursor > size) {
      reset = true;
      start = Math.max(0, size - maxBytes);
      truncated = start > 0;
    } else if (size - cursor > maxBytes) {
      reset = true;
      truncated = true;
      start = size - maxBytes;
    } else {
      start = cursor;
    }
    const flags = { ...(truncated ? { truncated } : {}), ...(reset ? { reset } : {}) };
    if (size <= start) return { file, cursor: size, size, lines: [], ...flags };

    const handle = await open(file, 'r');
    try {
      // Read one byte before the window to know whether it starts on a line boundary.
      const from = start > 0 ? start - 1 : 0;
      const buffer = Buffer.alloc(size - from);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, from);
      let text = buffer.toString('utf8', 0, bytesRead);
      if (start > 0) {
        const atBoundary = text.startsWith('\n');
        text = text.slice(1);
        if (!atBoundary) {
          const newline = text.indexOf('\n');
          text = newline === -1 ? '' : text.slice(newline + 1);
        }
      }
      let lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length > limit) lines = lines.slice(lines.length - limit);
      if (request.redact) lines = lines.map(request.redact);
      return { file, cursor: size, size, lines, ...flags };
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new GatewayError('UNAVAILABLE', `log read failed: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The configured file if it exists; for a dated file that does not (yet) exist, the newest
 * `openclaw-YYYY-MM-DD.log` beside it, so a tail right after midnight still shows yesterday.
 */
export async function resolveLogFile(file: string): Promise<string> {
  if ((await fileSize(file)) !== undefined || !ROLLING_LOG_NAME.test(basename(file))) return file;
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch {
    return file;
  }
  const newest = names.filter((name) => ROLLING_LOG_NAME.test(name)).sort().at(-1);
  return newest ? join(dirname(file), newest) : file;
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value)));
}
