import { renameSync, unlinkSync } from 'node:fs';
import { extname } from 'node:path';

/** The `n`th rotated copy of `file`: `x.log` → `x.1.log`; `x` (no extension) → `x.1`. */
export function rotatedLogFile(file: string, n: number): string {
  const ext = extname(file);
  return ext ? `${file.slice(0, -ext.length)}.${n}${ext}` : `${file}.${n}`;
}

/**
 * Shifts `file` to `x.1.log`, `x.1.log` to `x.2.log`, … keeping `keep` rotated copies; the
 * oldest is overwritten. Renames move symlinks themselves, never what they point to.
 */
export function rotateLogFile(file: string, keep: number): void {
  if (keep < 1) {
    removeIfPresent(file);
    return;
  }
  for (let n = keep; n >= 1; n--) {
    const from = n === 1 ? file : rotatedLogFile(file, n - 1);
    try {
      renameSync(from, rotatedLogFile(file, n));
    } catch (err) {
      // Gaps are normal (fewer rotations so far); another gateway may be rotating the same file.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
