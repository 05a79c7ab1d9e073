import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real `nats-server -js` on a loopback port chosen by the server itself (`-p -1`), with its
 * JetStream store in a temp dir. `.ci/run` installs Debian's nats-server; elsewhere, without it,
 * the tests that need it skip (and under CI=true they fail loudly, so a missing install step cannot
 * pass as green).
 */

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findNatsServer(): string | undefined {
  const fromPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'nats-server'));
  return [...fromPath, ...CANDIDATES].find(executable);
}

export const NATS_SERVER_PATH = findNatsServer();
export const HAS_NATS_SERVER = NATS_SERVER_PATH !== undefined;
export const NATS_SKIP_MESSAGE =
  'NATS tests skipped: nats-server is missing (apt-get install -y nats-server, as .ci/run does)';

if (!HAS_NATS_SERVER && process.env.CI === 'true') {
  throw new Error('CI=true but nats-server is not installed: .ci/run must install the nats-server package');
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>`; stays the same across `restart()`. */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM and wait for exit; the store is kept so `restart()` brings the streams back. */
  stop(): Promise<void>;
  /** Starts again on the same port and store. */
  restart(): Promise<void>;
  /** Stops and removes the store. */
  close(): Promise<void>;
}

export interface StartNatsServerOptions {
  /** Extra server flags, e.g. `['--max_payload', '1MB']`. */
  args?: string[];
  /** How long to wait for "Server is ready" (default 10 s). */
  readyTimeoutMs?: number;
}

const LISTEN_LINE = /Listening for client connections on [^\s:]+:(\d+)/;

interface Started {
  child: ChildProcess;
  port: number;
}

function launch(bin: string, port: number, storeDir: string, options: StartNatsServerOptions): Promise<Started> {
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir, '-n', 'clawgate-test', ...(options.args ?? [])];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise<Started>((resolve, reject) => {
    let log = '';
    let listening: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not become ready within ${options.readyTimeoutMs ?? 10_000} ms:\n${log}`));
    }, options.readyTimeoutMs ?? 10_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      listening ??= Number(LISTEN_LINE.exec(log)?.[1]) || undefined;
      if (listening !== undefined && log.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stderr?.resume();
        resolve({ child, port: listening });
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${signal ?? code}) before it was ready:\n${log}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a nats-server with JetStream; throws when it is not installed (check `HAS_NATS_SERVER`). */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServer> {
  if (NATS_SERVER_PATH === undefined) throw new Error(NATS_SKIP_MESSAGE);
  const bin = NATS_SERVER_PATH;
  const storeDir = await mkdtemp(join(tmpdir(), 'clawgate-nats-'));
  let current: Started;
  try {
    current = await launch(bin, -1, storeDir, options);
  } catch (error) {
    await rm(storeDir, { recursive: true, force: true });
    throw error;
  }
  const port = current.port;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: () => stopChild(current.child),
    async restart() {
      await stopChild(current.child);
      current = await launch(bin, port, storeDir, options);
    },
    async close() {
      await stopChild(current.child);
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
