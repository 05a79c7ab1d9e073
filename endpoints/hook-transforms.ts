import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GatewayError } from '../lib/errors.js';

/** What a transform function is called with. */
export interface HookTransformContext {
  /** The JSON body. */
  payload: Record<string, unknown>;
  /** Request headers, names lower-case. */
  headers: Record<string, string>;
  url: URL;
  /** The path under `hooks.path` (`github`). */
  path: string;
}

export type HookTransformFunction = (context: HookTransformContext) => unknown;

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

/**
 * Loads `hooks.mappings[].transform` modules from one directory and nowhere else: the module
 * path must be relative and stay inside the directory, also once symbolic links are resolved.
 * A module edited on disk is imported afresh (keyed by its modification time).
 */
export class HookTransformLoader {
  readonly dir: string;
  /** The directory `dir` must stay inside, symbolic links resolved (the config directory). */
  readonly #root: string | undefined;

  constructor(dir: string, root?: string) {
    this.dir = resolve(dir);
    this.#root = root === undefined ? undefined : resolve(root);
  }

  /** Throws CONFIG_INVALID for a module path that leaves the directory on its face (absolute, `..`). */
  checkModulePath(module: string): string {
    if (!module || module.includes('\0') || isAbsolute(module)) {
      throw new GatewayError('CONFIG_INVALID', `hook transform module ${JSON.stringify(module)} must be a path relative to hooks.transformsDir (${this.dir})`);
    }
    const file = resolve(this.dir, module);
    if (!inside(this.dir, file)) throw new GatewayError('CONFIG_INVALID', `hook transform module ${JSON.stringify(module)} leaves hooks.transformsDir (${this.dir})`);
    if (!MODULE_EXTENSIONS.has(extname(file))) throw new GatewayError('CONFIG_INVALID', `hook transform module ${JSON.stringify(module)} must be JavaScript (.js, .mjs or .cjs)`);
    return file;
  }

  /** The named export (default: `default`, then `transform`) of `module`, which must be a function. */
  async load(module: string, exportName?: string): Promise<HookTransformFunction> {
    const file = this.checkModulePath(module);
    let realDir: string;
    let realFile: string;
    try {
      realDir = await realpath(this.dir);
      realFile = await realpath(file);
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `hook transform module ${JSON.stringify(module)} not found in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
    // The directory itself may be a symbolic link: where it really is must still be inside the root.
    if (this.#root !== undefined && !inside(await realpath(this.#root), realDir)) {
      throw new GatewayError('UNAVAILABLE', `hooks.transformsDir (${this.dir}) resolves to ${realDir}, outside ${this.#root}`);
    }
    // A symbolic link inside the directory may point anywhere; only its target counts.
    if (!inside(realDir, realFile)) throw new GatewayError('UNAVAILABLE', `hook transform module ${JSON.stringify(module)} resolves outside hooks.transformsDir (${realFile})`);
    const info = await stat(realFile);
    if (!info.isFile()) throw new GatewayError('UNAVAILABLE', `hook transform module ${JSON.stringify(module)} is not a file`);
    const url = `${pathToFileURL(realFile).href}?mtime=${info.mtimeMs}`;
    const loaded = (await import(url)) as Record<string, unknown>;
    // A CommonJS module's `default` is its whole `module.exports`; `transform` is then the function.
    const fn = exportName ? loaded[exportName] : typeof loaded.default === 'function' ? loaded.default : loaded.transform;
    if (typeof fn !== 'function') {
      const what = exportName ? `export ${JSON.stringify(exportName)}` : 'a default or "transform" export';
      throw new GatewayError('UNAVAILABLE', `hook transform module ${JSON.stringify(module)} has no ${what} that is a function`);
    }
    return fn as HookTransformFunction;
  }
}

function inside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
