import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomic } from '../file-storage.js';
import type { RestartSentinelPayload } from '../protocol/generated/types.js';

export const RESTART_SENTINEL_FILE = 'restart-sentinel.json';

export function restartSentinelPath(stateDir: string): string {
  return join(stateDir, RESTART_SENTINEL_FILE);
}

/** Leaves a note for the gateway after its restart: why it restarted and whom to tell. */
export async function writeRestartSentinel(stateDir: string, payload: RestartSentinelPayload): Promise<string> {
  const path = restartSentinelPath(stateDir);
  await writeAtomic(path, `${JSON.stringify({ version: 1, payload }, null, 2)}\n`);
  return path;
}

/** Reads and removes the note; undefined when there is none (or it is unreadable, which is dropped). */
export async function consumeRestartSentinel(stateDir: string): Promise<RestartSentinelPayload | undefined> {
  const path = restartSentinelPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  await rm(path, { force: true });
  try {
    const parsed = JSON.parse(text) as { payload?: RestartSentinelPayload };
    return typeof parsed.payload === 'object' && parsed.payload !== null ? parsed.payload : undefined;
  } catch {
    return undefined;
  }
}
