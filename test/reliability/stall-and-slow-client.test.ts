import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createGatewayRuntime } from '../../runtime/index.js';
import { TOKEN } from '../helpers/connect.js';
import { connectPeer } from '../bin/helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // Blocking on purpose: this is the stall.
  }
}

describe('a blocked event loop and a client that stops reading, at once', () => {
  it('closes the slow client alone, counts the stall, and keeps serving everyone else', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'openclaw-stall-slow-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const lines: string[] = [];
    const runtime = await createGatewayRuntime({
      config: { gateway: { mode: 'local', auth: { token: TOKEN } }, plugins: { entries: { clawgate: { config: { policy: { maxBufferedBytes: 256 * 1024 } } } } } },
      stateDir,
      env: { HOME: stateDir },
      plugins: [],
      overrides: { port: '0' },
      logDir: join(stateDir, 'logs'),
      logger: { log: (level, subsystem, message) => lines.push(`${level} ${subsystem} ${message}`) },
      stallThresholdMs: 150,
      gatewayPlugins: [
        {
          name: 'blocker',
          setup(host) {
            host.registerCustomMethod('test.block', { params: { type: 'object' }, scope: 'read' }, () => {
              busyWait(400);
              return { blocked: true };
            });
          },
        },
      ],
    });
    await runtime.start();
    cleanups.push(() => runtime.stop());
    const url = `ws://127.0.0.1:${runtime.port}`;

    const healthy = await connectPeer(url, TOKEN);
    cleanups.push(() => healthy.ws.terminate());
    const slow = await connectPeer(url, TOKEN);
    cleanups.push(() => slow.ws.terminate());
    const slowClosed = new Promise<number>((resolve) => slow.ws.once('close', (code) => resolve(code)));
    // The slow client stops reading, then asks for far more than its buffer may hold.
    (slow.ws as WebSocket & { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < 200; i++) slow.ws.send(JSON.stringify({ type: 'req', id: `s${i}`, method: 'config.schema', params: {} }));
    // Meanwhile the healthy client blocks the loop.
    healthy.ws.send(JSON.stringify({ type: 'req', id: 'block', method: 'test.block', params: {} }));
    expect((await healthy.next((f) => f.type === 'res' && f.id === 'block', 15_000)).ok).toBe(true);

    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.includes('slow consumer closed')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // Reading again, it finds what was sent before the close, then the close itself.
    (slow.ws as WebSocket & { _socket: { resume(): void } })._socket.resume();
    expect(await slowClosed).toBe(1008);
    expect(slow.frames.filter((f) => f.type === 'res').length).toBeLessThan(200);

    expect(lines.filter((l) => l.includes('slow consumer closed'))).toHaveLength(1);
    // Everyone else is served as before, and a newcomer connects.
    healthy.ws.send(JSON.stringify({ type: 'req', id: 'after', method: 'health', params: {} }));
    expect((await healthy.next((f) => f.type === 'res' && f.id === 'after')).ok).toBe(true);
    const newcomer = await connectPeer(url, TOKEN);
    newcomer.ws.terminate();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runtime.eventLoopStalls.count).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.startsWith('warn') && l.includes('event loop blocked'))).toBe(true);
  });
});
