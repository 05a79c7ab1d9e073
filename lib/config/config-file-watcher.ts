import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface ConfigFileWatcherOptions {
  path: string;
  /** Read at each event, so a reload can change it. */
  debounceMs: () => number;
  /** Called once the file has been quiet for the debounce time after a change. */
  onChange: () => void;
  onError?: (error: Error) => void;
}

/**
 * Watches one config file, debounced. It watches the directory, not the file: editors and
 * atomic writers replace the file by renaming a temp file over it, which ends a watch on the
 * old inode. The file need not exist yet (its directory must).
 */
export class ConfigFileWatcher {
  readonly #options: ConfigFileWatcherOptions;
  #watcher?: FSWatcher;
  #timer?: NodeJS.Timeout;

  constructor(options: ConfigFileWatcherOptions) {
    this.#options = options;
  }

  /** Starts watching; throws when the directory cannot be watched (missing, no inotify). */
  start(): void {
    if (this.#watcher) return;
    const name = basename(this.#options.path);
    this.#watcher = watch(dirname(this.#options.path), { persistent: false }, (_event, filename) => {
      // Some platforms omit the name; then any change in the directory counts.
      if (filename === null || String(filename) === name) this.#schedule();
    });
    this.#watcher.on('error', (err) => this.#options.onError?.(err));
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#options.onChange();
    }, Math.max(0, this.#options.debounceMs()));
  }
}
