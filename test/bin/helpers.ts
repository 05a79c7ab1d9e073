import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';

/** Helpers to run `bin/openclaw.ts` as a user would: a real child process with its own HOME/state. */

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(REPO, 'bin/openclaw.ts');
// Absolute loader URL, so the child can run from any cwd (it runs from its temp HOME).
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export const LSOF_AVAILABLE = ['/usr/bin/lsof', '/usr/sbin/lsof', '/bin/lsof', '/sbin/lsof'].some((p) => existsSync(p));

/** Variables a test must set explicitly; inherited values would leak the developer's setup in. */
const SCRUBBED = [
  'OPENCLAW_GATEWAY_PORT',
  'OPENCLAW_GATEWAY_TOKEN',
  'OPENCLAW_GATEWAY_PASSWORD',
  'OPENCLAW_CONFIG_PATH',
  'OPENCLAW_PROFILE',
  'OPENCLAW_STATE_DIR',
  'CLAWDBOT_GATEWAY_TOKEN',
];

const children = new Set<CliProcess>();
const tempDirs: string[] = [];

export interface TestEnv {
  home: string;
  stateDir: string;
  /** The environment children get; tweak it per test (undefined removes a variable). */
  env: Record<string, string | undefined>;
  configPath: string;
}

/** Fresh HOME and OPENCLAW_STATE_DIR (temp dirs), scrubbed of every OPENCLAW_* setting. */
export async function makeEnv(extra: Record<string, string | undefined> = {}): Promise<TestEnv> {
  const home = await mkdtemp(join(tmpdir(), 'openclaw-home-'));
  const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-state-'));
  tempDirs.push(home, stateDir);
  const env: Record<string, string | undefined> = { ...process.env };
  for (const name of SCRUBBED) delete env[name];
  Object.assign(env, { HOME: home, OPENCLAW_STATE_DIR: stateDir, NO_COLOR: '1' }, extra);
  return { home, stateDir, env, configPath: join(stateDir, 'openclaw.json') };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #exit?: Exit;
  #waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess, readonly args: readonly string[]) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.#notify();
    });
    this.exited = new Promise<Exit>((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
    });
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Resolves with the first match of `pattern` in stdout+stderr; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = this.output.match(pattern);
        if (match) {
          done();
          resolve(match);
          return true;
        }
        if (this.#exit) {
          done();
          reject(new Error(`${this.describe()} exited (${JSON.stringify(this.#exit)}) before printing ${pattern}\n${this.output}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.describe()} did not print ${pattern} within ${timeoutMs} ms\n${this.output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(listener);
      };
      const listener = () => void check();
      if (!check()) this.#waiters.add(listener);
    });
  }

  /** Waits for the exit, failing the test when it takes longer than `timeoutMs`. */
  async wait(timeoutMs = 10_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.describe()} still running after ${timeoutMs} ms\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }

  describe(): string {
    return `openclaw ${this.args.join(' ')} (pid ${this.child.pid})`;
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Spawns `node --import tsx bin/openclaw.ts ...args`; tracked so `killAll()` can clean up. */
export function spawnCli(args: readonly string[], t: Pick<TestEnv, 'env' | 'home'>): CliProcess {
  const env = Object.fromEntries(Object.entries(t.env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd: t.home,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = new CliProcess(child, args);
  children.add(proc);
  child.once('close', () => children.delete(proc));
  return proc;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
  output: string;
  ms: number;
}

/** Runs a short-lived command to completion. */
export async function runCli(args: readonly string[], t: Pick<TestEnv, 'env' | 'home'>, timeoutMs = 10_000): Promise<RunResult> {
  const started = Date.now();
  const proc = spawnCli(args, t);
  const exit = await proc.wait(timeoutMs);
  return { ...exit, stdout: proc.stdout, stderr: proc.stderr, output: proc.output, ms: Date.now() - started };
}

export const LISTENING = /listening on ws:\/\/127\.0\.0\.1:(\d+)/;

export interface RunningGateway {
  proc: CliProcess;
  port: number;
  url: string;
}

/** Starts `openclaw gateway ...args` and waits for its `listening on ws://127.0.0.1:<port>` line. */
export async function startGateway(args: readonly string[], t: Pick<TestEnv, 'env' | 'home'>): Promise<RunningGateway> {
  const proc = spawnCli(['gateway', ...args], t);
  const match = await proc.waitFor(LISTENING);
  const port = Number(match[1]);
  return { proc, port, url: `ws://127.0.0.1:${port}` };
}

/** Parses a command's JSON output, failing with the text itself when it is not JSON. */
export function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON:\n${text}`);
  }
}

/** SIGKILLs every child still running and removes the temp dirs; call from afterEach. */
export async function killAll(): Promise<void> {
  const running = [...children];
  for (const proc of running) proc.kill('SIGKILL');
  await Promise.all(running.map((proc) => proc.exited));
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A port that was free a moment ago (briefly listened on port 0, then released). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:<port>. */
export async function isListening(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A console log line (`HH:MM:SS.mmm [subsystem] ...`), as opposed to a one-time human notice. */
export const LOG_LINE = /^\d\d:\d\d:\d\d\.\d{3} /;

/**
 * Where a secret shows up in a gateway's output: in log lines (never acceptable), in the indented
 * line of the one-time "Generated a gateway token" notice, in the start-up `Dashboard:` link
 * (which carries the token in the URL fragment only on the start that generated it), or anywhere else.
 */
export function secretExposure(output: string, secret: string) {
  const lines = output.split('\n').filter((line) => line.includes(secret));
  return {
    logLines: lines.filter((line) => LOG_LINE.test(line)),
    notice: lines.filter((line) => line === `  ${secret}`),
    dashboard: lines.filter((line) => line.startsWith('Dashboard: ')),
    other: lines.filter((line) => !LOG_LINE.test(line) && line !== `  ${secret}` && !line.startsWith('Dashboard: ')),
  };
}

export type Frame = Record<string, any>;

export interface WsPeer {
  ws: WebSocket;
  frames: Frame[];
  closed: Promise<{ code: number; reason: string }>;
  next(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
}

/** Opens a raw `ws` socket that records every frame and its close. */
export async function openPeer(url: string): Promise<WsPeer> {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (predicate: (frame: Frame) => boolean, timeoutMs = 5000) =>
    new Promise<Frame>((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < frames.length; seen++) {
          if (predicate(frames[seen]!)) {
            done();
            resolve(frames[seen]!);
            return;
          }
        }
        if (ws.readyState === WebSocket.CLOSED) {
          done();
          reject(new Error(`socket closed before the expected frame; got ${JSON.stringify(frames)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { ws, frames, closed, next };
}

/** The real handshake: wait for `connect.challenge`, send `connect` with the token, expect hello-ok. */
export async function connectPeer(url: string, token: string): Promise<WsPeer> {
  const peer = await openPeer(url);
  await peer.next((f) => f.type === 'event' && f.event === 'connect.challenge');
  peer.ws.send(
    JSON.stringify({
      type: 'req',
      id: '1',
      method: 'connect',
      params: {
        minProtocol: 3,
        maxProtocol: 4,
        client: { id: 'test', version: '1', platform: 'linux', mode: 'test' },
        auth: { token },
      },
    }),
  );
  const res = await peer.next((f) => f.type === 'res' && f.id === '1');
  if (!res.ok) throw new Error(`connect failed: ${JSON.stringify(res.error)}`);
  return peer;
}
