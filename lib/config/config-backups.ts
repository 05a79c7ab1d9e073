import { chmod, copyFile, rename } from 'node:fs/promises';

/** How many earlier versions are kept: `openclaw.json.bak`, `.bak.1` … `.bak.4`. */
export const CONFIG_BACKUP_COUNT = 5;

/**
 * Shifts the backups of `path` down by one (dropping the oldest) and copies the current file to
 * `<path>.bak`, mode 0600 like the file itself. Call before replacing the file.
 */
export async function rotateConfigBackups(path: string, count = CONFIG_BACKUP_COUNT): Promise<void> {
  const name = (i: number) => (i === 0 ? `${path}.bak` : `${path}.bak.${i}`);
  for (let i = count - 2; i >= 0; i--) await renameIfExists(name(i), name(i + 1));
  try {
    await copyFile(path, name(0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  await chmod(name(0), 0o600);
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
