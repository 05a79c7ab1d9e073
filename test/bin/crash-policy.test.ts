import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE, installCrashPolicy, type CrashProcess } from '../../bin/crash-policy.js';
import type { LogLevel } from '../../lib/logger.js';
import { TOKEN } from '../helpers/connect.js';
import { connectPeer, isListening } from './helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

class FakeProcess extends EventEmitter implements CrashProcess {
  exitCode?: number;
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

function recordingLogger() {
  const lines: { level: LogLevel; message: string }[] = [];
  return { lines, log: (level: LogLevel, _subsystem: string, message: string) => lines.push({ level, message }) };
}

describe('installCrashPolicy', () => {
  it('logs the error with its stack, closes, then exits 1', async () => {
    const proc = new FakeProcess();
    const logger = recordingLogger();
    let closed = 0;
    installCrashPolicy({ logger, process: proc, close: async () => void closed++ });
    proc.emit('unhandledRejection', new Error('nobody awaited me'));
    expect(proc.exitCode).toBe(CRASH_EXIT_CODE);
    await new Promise((r) => setTimeout(r, 10));
    expect(closed).toBe(1);
    expect(proc.exits).toEqual([1]);
    expect(logger.lines[0]!.level).toBe('fatal');
    expect(logger.lines[0]!.message).toMatch(/^unhandled promise rejection, closing the gateway and exiting with code 1: Error: nobody awaited me\n\s+at /);
  });

  it('exits at the deadline when closing hangs, and a second error while closing does not close twice', async () => {
    const proc = new FakeProcess();
    const logger = recordingLogger();
    let closes = 0;
    installCrashPolicy({ logger, process: proc, closeDeadlineMs: 50, close: () => (closes++, new Promise<void>(() => {})) });
    proc.emit('uncaughtException', new Error('first'));
    proc.emit('unhandledRejection', 'a string, not an Error');
    expect(proc.exits).toEqual([]);
    const deadline = Date.now() + 5000;
    while (proc.exits.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(proc.exits).toEqual([1]);
    expect(closes).toBe(1);
    expect(logger.lines.map((l) => l.message.split('\n')[0])).toEqual([
      'uncaught exception, closing the gateway and exiting with code 1: Error: first',
      "another unhandled promise rejection while closing after a crash: non-Error value 'a string, not an Error'",
      'closing took longer than 50 ms; exiting without waiting',
    ]);
  });

  it('still exits 1 when closing fails, and uninstalling removes both handlers', async () => {
    const proc = new FakeProcess();
    const logger = recordingLogger();
    const uninstall = installCrashPolicy({ logger, process: proc, close: () => Promise.reject(new Error('port stuck')) });
    expect(proc.listenerCount('uncaughtException')).toBe(1);
    expect(proc.listenerCount('unhandledRejection')).toBe(1);
    proc.emit('uncaughtException', new Error('boom'));
    await new Promise((r) => setTimeout(r, 10));
    expect(proc.exits).toEqual([1]);
    expect(logger.lines.at(-1)!.message).toBe('closing after the crash failed: port stuck');
    uninstall();
    expect(proc.listenerCount('uncaughtException')).toBe(0);
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });
});

/**
 * A gateway process as the CLI runs it: the public runtime plus the CLI's crash policy. Told on
 * stdin, it drops a rejected promise or throws from a timer, as a bug in a plugin would.
 */
async function crashingGateway(how: 'reject' | 'throw') {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-crash-'));
  dirs.push(dir);
  const script = join(dir, 'gateway.mts');
  await writeFile(
    script,
    `import { createGatewayRuntime } from ${JSON.stringify(resolve(import.meta.dirname, '../../runtime/index.ts'))};
import { installCrashPolicy } from ${JSON.stringify(resolve(import.meta.dirname, '../../bin/crash-policy.ts'))};
const [stateDir, how, token] = process.argv.slice(2);
const runtime = await createGatewayRuntime({
  config: { gateway: { mode: 'local', auth: { token } } },
  stateDir,
  env: { HOME: stateDir },
  plugins: [],
  overrides: { port: '0' },
  logDir: stateDir + '/logs',
  out: (line) => process.stdout.write(line + '\\n'),
});
installCrashPolicy({ logger: runtime.logger, close: () => runtime.stop({ reason: 'gateway crashed' }) });
await runtime.start();
process.stdin.once('data', () => {
  if (how === 'reject') Promise.reject(new Error('boom: a promise nobody awaited'));
  else setTimeout(() => { throw new Error('kaboom: thrown from a timer'); });
});
process.stdout.write('ready ' + runtime.port + '\\n');
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir, how, TOKEN], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('close', (code, signal) => done({ code, signal })));
  const port = await new Promise<number>((done, fail) => {
    const check = () => {
      const match = /ready (\d+)\n/.exec(output);
      if (match) done(Number(match[1]));
    };
    child.stdout.on('data', check);
    exited.then(() => fail(new Error(`the gateway exited before it was ready:\n${output}`)), fail);
  });
  return { dir, child, port, exited, output: () => output };
}

describe('the CLI crash policy around a running gateway', () => {
  for (const how of ['reject', 'throw'] as const) {
    const what = how === 'reject' ? 'unhandled promise rejection' : 'uncaught exception';
    const message = how === 'reject' ? 'boom: a promise nobody awaited' : 'kaboom: thrown from a timer';
    it(`${what}: logged with its stack, clients get shutdown and 1012, the port is released, exit 1`, async () => {
      const gw = await crashingGateway(how);
      const peer = await connectPeer(`ws://127.0.0.1:${gw.port}`, TOKEN);
      gw.child.stdin.write('go\n');

      const shutdown = await peer.next((f) => f.type === 'event' && f.event === 'shutdown');
      expect(shutdown.payload.reason).toBe('gateway crashed');
      expect((await peer.closed).code).toBe(1012);
      expect(await gw.exited, gw.output()).toEqual({ code: 1, signal: null });
      expect(gw.output()).toContain(`${what}, closing the gateway and exiting with code 1: Error: ${message}`);
      expect(gw.output()).toMatch(new RegExp(`${message}\\n\\s+at `));
      expect(await isListening(gw.port)).toBe(false);
      // The file log has it too, for `openclaw logs` and `gateway status` after the restart.
      const logDir = join(gw.dir, 'logs');
      const [file] = await readdir(logDir);
      expect(await readFile(join(logDir, file!), 'utf8')).toContain(`"logLevelName":"FATAL"`);
    }, 30_000);
  }
});
