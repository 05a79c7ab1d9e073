import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLevel } from '../../lib/logger.js';
import { EventLoopStallMonitor } from '../../runtime/event-loop-stall-monitor.js';
import { createGatewayRuntime } from '../../runtime/index.js';
import { TOKEN } from '../helpers/connect.js';
import { connectPeer } from '../bin/helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-stall-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function recordingLogger() {
  const lines: { level: LogLevel; subsystem: string; message: string }[] = [];
  return { lines, log: (level: LogLevel, subsystem: string, message: string) => void lines.push({ level, subsystem, message }) };
}

/** Blocks the event loop the way a synchronous handler would. */
function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) continue;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EventLoopStallMonitor', () => {
  it('counts a 300 ms block over a 100 ms threshold and logs a warning naming what ran', async () => {
    const logger = recordingLogger();
    const windows: number[] = [];
    const monitor = new EventLoopStallMonitor({
      logger,
      thresholdMs: 100,
      activity: (withinMs) => {
        windows.push(withinMs);
        return [{ method: 'chat.send', ms: 299, running: false }];
      },
    });
    monitor.start();
    cleanups.push(() => monitor.stop());
    await sleep(60);
    busyWait(300);
    await sleep(100);

    // At least: a loaded test machine may add stalls of its own.
    expect(monitor.stats.count).toBeGreaterThanOrEqual(1);
    expect(monitor.stats.longestMs).toBeGreaterThanOrEqual(200);
    expect(Math.max(...windows)).toBeGreaterThanOrEqual(300);
    expect(logger.lines.every((l) => l.level === 'warn' && l.subsystem === 'gateway')).toBe(true);
    expect(logger.lines.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/^event loop blocked for \d{3,} ms \(stall threshold 100 ms\); requests then: chat\.send \(299 ms, done\)$/),
    );
  });

  it('sees nothing once stopped', async () => {
    const logger = recordingLogger();
    const monitor = new EventLoopStallMonitor({ logger, thresholdMs: 100 });
    monitor.start();
    await sleep(50);
    monitor.stop();
    const before = monitor.stats;
    busyWait(300);
    await sleep(100);
    expect(monitor.stats).toEqual(before);
  });

  it('never keeps a process alive', async () => {
    const dir = await tempDir();
    const script = join(dir, 'idle.mts');
    await writeFile(
      script,
      `import { EventLoopStallMonitor } from ${JSON.stringify(resolve(import.meta.dirname, '../../runtime/event-loop-stall-monitor.ts'))};
new EventLoopStallMonitor({ logger: { log() {} }, thresholdMs: 100 }).start();
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore' });
    const started = Date.now();
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the runtime watches its event loop', () => {
  it('a request handler that blocks the loop is named in the warning and counted on the runtime', async () => {
    const stateDir = await tempDir();
    const logger = recordingLogger();
    const runtime = await createGatewayRuntime({
      config: { gateway: { mode: 'local', auth: { token: TOKEN } } },
      stateDir,
      env: { HOME: stateDir },
      plugins: [],
      overrides: { port: '0' },
      logDir: join(stateDir, 'logs'),
      logger,
      stallThresholdMs: 100,
      gatewayPlugins: [
        {
          name: 'blocker',
          setup(host) {
            host.registerCustomMethod('test.block', { params: { type: 'object' }, scope: 'read' }, () => {
              busyWait(300);
              return { blocked: true };
            });
          },
        },
      ],
    });
    await runtime.start();
    cleanups.push(() => runtime.stop());
    expect(runtime.eventLoopStalls).toEqual({ count: 0, longestMs: 0 });

    const peer = await connectPeer(`ws://127.0.0.1:${runtime.port}`, TOKEN);
    cleanups.push(() => peer.ws.close());
    peer.ws.send(JSON.stringify({ type: 'req', id: '2', method: 'test.block', params: {} }));
    expect((await peer.next((f) => f.type === 'res' && f.id === '2')).ok).toBe(true);
    await sleep(300);

    expect(runtime.eventLoopStalls.count).toBeGreaterThanOrEqual(1);
    expect(runtime.eventLoopStalls.longestMs).toBeGreaterThanOrEqual(200);
    const warnings = logger.lines.filter((l) => l.message.startsWith('event loop blocked'));
    expect(warnings.every((l) => l.level === 'warn')).toBe(true);
    expect(warnings.map((l) => l.message)).toContainEqual(expect.stringMatching(/requests then: test\.block \(\d{3,} ms, done\)/));
  });
});
