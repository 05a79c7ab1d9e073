import { lstat, mkdir, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { invalidRequest } from '../errors.js';
import { writeAtomic } from '../file-storage.js';
import type { AgentsFileEntry } from '../protocol/generated/types.js';

/** The bootstrap files of an agent workspace, as upstream names them, in the order it lists them. */
export const WORKSPACE_FILES = ['AGENTS.md', 'SOUL.md', 'TOOLS.md', 'IDENTITY.md', 'USER.md', 'HEARTBEAT.md', 'BOOTSTRAP.md', 'MEMORY.md'] as const;

/** Larger files are refused: they go into every prompt. */
export const MAX_WORKSPACE_FILE_BYTES = 256 * 1024;

/**
 * An agent workspace's bootstrap files (`agents.files.*`). Only the known names are served, and
 * each must resolve inside the workspace: a symlink that leads out of it is refused, so a client
 * can never read or write anything else on the host.
 */
export class WorkspaceFiles {
  constructor(readonly workspace: string) {}

  async list(): Promise<AgentsFileEntry[]> {
    return Promise.all(WORKSPACE_FILES.map((name) => this.#entry(name, false)));
  }

  get(name: string): Promise<AgentsFileEntry> {
    return this.#entry(checkName(name), true);
  }

  async set(name: string, content: string): Promise<AgentsFileEntry> {
    const known = checkName(name);
    if (Buffer.byteLength(content, 'utf8') > MAX_WORKSPACE_FILE_BYTES) {
      throw invalidRequest(`${known} is larger than ${MAX_WORKSPACE_FILE_BYTES} bytes; keep bootstrap files short, they go into every prompt`);
    }
    await mkdir(this.workspace, { recursive: true, mode: 0o700 });
    const path = await this.#confined(known);
    await writeAtomic(path, content, 0o600);
    return this.#entry(known, true);
  }

  async #entry(name: string, withContent: boolean): Promise<AgentsFileEntry> {
    const path = join(this.workspace, name);
    const target = await this.#confined(name);
    try {
      const info = await lstat(target);
      const entry: AgentsFileEntry = { name, path, missing: false, size: info.size, updatedAtMs: Math.floor(info.mtimeMs) };
      if (withContent) entry.content = await readFile(target, 'utf8');
      return entry;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { name, path, missing: true };
      throw err;
    }
  }

  /** The real path of `name`, refused when it (or the workspace) leads outside the workspace. */
  async #confined(name: string): Promise<string> {
    const root = await realpath(this.workspace).catch(() => this.workspace);
    const path = join(root, name);
    const real = await realpath(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      // A dangling symlink would make a write create its target wherever it points.
      return lstat(path).then(
        () => {
          throw invalidRequest(`${name} is a symlink to a missing file; remove it from ${this.workspace}`);
        },
        () => path,
      );
    });
    const inside = relative(root, real);
    if (inside.startsWith('..') || isAbsolute(inside) || inside.includes(sep)) {
      throw invalidRequest(`${name} leads outside the agent workspace ${this.workspace}; refusing to follow it`);
    }
    return real;
  }
}

function checkName(name: string): (typeof WORKSPACE_FILES)[number] {
  const known = WORKSPACE_FILES.find((candidate) => candidate === name);
  if (!known) throw invalidRequest(`unknown workspace file ${JSON.stringify(name)}: expected one of ${WORKSPACE_FILES.join(', ')}`);
  return known;
}
