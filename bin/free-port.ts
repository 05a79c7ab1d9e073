import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `--force`: finds whoever listens on the port with lsof and SIGTERMs it. Fails fast when lsof
 * is missing rather than starting into EADDRINUSE.
 */
export async function freePort(port: number, log: (line: string) => void, waitMs = 5000): Promise<number[]> {
  const pids = await listeners(port);
  for (const pid of pids) {
    if (pid === process.pid) continue;
    log(`--force: sending SIGTERM to pid ${pid} listening on port ${port}`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch (err) {
      log(`--force: could not signal pid ${pid}: ${(err as Error).message}`);
    }
  }
  const deadline = Date.now() + waitMs;
  while (pids.length && Date.now() < deadline && (await listeners(port)).length) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return pids;
}

/** Pids listening on a TCP port, from lsof; empty when none. Throws when lsof is missing. */
export async function listeners(port: number): Promise<number[]> {
  try {
    const { stdout } = await run('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-t']);
    return [...new Set(stdout.split(/\s+/).filter(Boolean).map(Number))];
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: string | number };
    if (e.code === 'ENOENT') throw new Error('--force needs lsof, which is not installed (apt-get install lsof)');
    // lsof exits 1 when nothing matches.
    if ((e as { code?: unknown }).code === 1) return [];
    throw err;
  }
}
