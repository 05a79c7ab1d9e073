import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * A real PostgreSQL on a loopback port in a temp dir, for the cluster tests. `.ci/run` installs
 * Debian's postgresql; elsewhere, without it, the suites that need it skip (and under CI=true
 * they fail loudly, so a missing install step cannot pass as green). The server runs as the
 * `postgres` OS user when the tests run as root (PostgreSQL refuses to run as root).
 */

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const initdb = join(dir, 'initdb');
    if (executable(initdb) && executable(join(dirname(realpathSync(initdb)), 'postgres'))) return dirname(realpathSync(initdb));
  }
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  } catch {
    return undefined;
  }
  return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => executable(join(dir, 'initdb')) && executable(join(dir, 'postgres')));
}

export const POSTGRES_BIN_DIR = findBinDir();
export const HAS_POSTGRES = POSTGRES_BIN_DIR !== undefined;
export const POSTGRES_SKIP_MESSAGE = 'PostgreSQL tests skipped: initdb/postgres are missing (apt-get install -y postgresql, as .ci/run does)';

if (!HAS_POSTGRES && process.env.CI === 'true') {
  throw new Error('CI=true but PostgreSQL is not installed: .ci/run must install the postgresql package');
}

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth on loopback). */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown (SIGINT) and removal of the data dir; idempotent. */
  stop(): Promise<void>;
}

/** The uid/gid to run the server as: `postgres` when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres OS user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(bin: string, args: string[], user: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...user, env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

function launch(binDir: string, dataDir: string, socketDir: string, port: number, user: { uid: number; gid: number } | undefined): Promise<ChildProcess> {
  // fsync off and small buffers: a throwaway server for tests, started and dropped per test file.
  const args = ['-D', dataDir, '-p', String(port), '-k', socketDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_buffers=16MB', '-c', 'max_connections=100'];
  const child = spawn(join(binDir, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...user, env: { ...process.env, LC_ALL: 'C' } });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`PostgreSQL did not become ready within 20 s:\n${log}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited (${signal ?? code}) before it was ready:\n${log}`));
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, not waited for.
    child.kill('SIGINT');
  });
}

/** Starts a fresh cluster (initdb) and its server; throws when PostgreSQL is not installed (check `HAS_POSTGRES`). */
export async function startPostgresServer(): Promise<PostgresServer> {
  if (POSTGRES_BIN_DIR === undefined) throw new Error(POSTGRES_SKIP_MESSAGE);
  const binDir = POSTGRES_BIN_DIR;
  const user = serverUser();
  const root = await mkdtemp(join(tmpdir(), 'clawgate-pg-'));
  const dataDir = join(root, 'data');
  let child: ChildProcess | undefined;
  try {
    await mkdir(dataDir, { mode: 0o700 });
    if (user) {
      await chown(root, user.uid, user.gid);
      await chown(dataDir, user.uid, user.gid);
    }
    await run(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], user);
    // A free port can be taken between our probe and the bind: try a few.
    let lastError: unknown;
    let port = 0;
    for (let attempt = 0; attempt < 3 && !child; attempt++) {
      port = await freePort();
      try {
        child = await launch(binDir, dataDir, root, port, user);
      } catch (err) {
        lastError = err;
      }
    }
    if (!child) throw lastError;
    const started = child;
    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      stop: () =>
        (stopped ??= (async () => {
          await stopChild(started);
          await rm(root, { recursive: true, force: true });
        })()),
    };
  } catch (err) {
    if (child) await stopChild(child);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}
