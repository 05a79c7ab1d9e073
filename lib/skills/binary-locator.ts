import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** Answers whether an executable is on the PATH; injected so status checks need no real tools. */
export interface BinaryLocator {
  has(bin: string): Promise<boolean>;
}

export interface PathBinaryLocatorOptions {
  /** Read for PATH (and PATHEXT on Windows). */
  env: Readonly<Record<string, string | undefined>>;
  platform?: NodeJS.Platform;
}

/** `which` over the PATH of an environment: the first executable regular file wins. */
export class PathBinaryLocator implements BinaryLocator {
  readonly #dirs: string[];
  readonly #extensions: string[];

  constructor(options: PathBinaryLocatorOptions) {
    const platform = options.platform ?? process.platform;
    const path = options.env.PATH ?? options.env.Path ?? '';
    this.#dirs = path.split(platform === 'win32' ? ';' : delimiter).filter(Boolean);
    this.#extensions = platform === 'win32' ? ['', ...(options.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  }

  async has(bin: string): Promise<boolean> {
    // A name with a separator is a path, never looked up.
    if (bin.includes('/') || bin.includes('\\')) return isExecutable(bin);
    for (const dir of this.#dirs) {
      for (const ext of this.#extensions) {
        if (await isExecutable(join(dir, bin + ext))) return true;
      }
    }
    return false;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
