import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeAtomic } from '../../lib/file-storage.js';

/** Reads a definition file; undefined when it does not exist. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a definition file atomically, 0600: it may carry the gateway token. */
export async function writeDefinitionFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomic(path, text, 0o600);
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Files in `dir` whose name passes `filter`, with their text; a missing directory is empty. */
export async function scanDir(dir: string, filter: (name: string) => boolean): Promise<{ name: string; path: string; text: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: { name: string; path: string; text: string }[] = [];
  for (const name of names.filter(filter).sort()) {
    const path = join(dir, name);
    const text = await readOptional(path).catch(() => undefined);
    if (text !== undefined) out.push({ name, path, text });
  }
  return out;
}

/** Names and markers that identify an OpenClaw (or pre-rename clawdbot/moltbot) gateway service. */
export const GATEWAY_LIKE = /openclaw|clawdbot|moltbot|bot\.molt/i;
