import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleLogger } from '../../../lib/console-logger.js';
import type { Gateway } from '../../../lib/gateway.js';
import type { LogLevel, Logger } from '../../../lib/logger.js';
import { silentLogger } from '../../../lib/logger.js';
import { FileLogger } from '../../../lib/logging/file-logger.js';
import { TeeLogger } from '../../../lib/logging/tee-logger.js';
import { connectMemory } from '../../../lib/memory-transport.js';
import { call, connectParams, handshake } from '../../helpers/connect.js';
import { RawPeer } from '../../helpers/raw-peer.js';
import { createTestGateway } from '../../transports/contract.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.close({ reason: 'test done' });
});

/** Records every line; `enabled` answers as told (undefined: the method is left out). */
function recording(enabled?: (level: LogLevel) => boolean): Logger & { lines: Array<{ level: LogLevel; message: string }> } {
  const lines: Array<{ level: LogLevel; message: string }> = [];
  return { lines, log: (level, _subsystem, message) => lines.push({ level, message }), ...(enabled ? { enabled } : {}) };
}

describe('Logger.enabled', () => {
  it('says which levels the console, file and silent loggers write, and a tee asks its targets', () => {
    const console = createConsoleLogger({ level: 'info', write: () => {} });
    expect([console.enabled?.('debug'), console.enabled?.('info'), console.enabled?.('error')]).toEqual([false, true, true]);
    const file = new FileLogger({ level: 'warn', file: '/dev/null' });
    expect([file.enabled('info'), file.enabled('warn')]).toEqual([false, true]);
    expect(silentLogger.enabled?.('fatal')).toBe(false);
    const tee = new TeeLogger([console, file]);
    expect([tee.enabled('debug'), tee.enabled('info')]).toEqual([false, true]);
    // A sink that cannot say is assumed to take everything.
    tee.setTargets([console, recording()]);
    expect(tee.enabled('debug')).toBe(true);
  });
});

describe('request dispatch and debug lines', () => {
  async function callHealth(logger: Logger): Promise<void> {
    const gateway = createTestGateway({ logger });
    gateways.push(gateway);
    await gateway.start();
    const socket = connectMemory(gateway);
    const peer = new RawPeer((t) => socket.send(t), (c, r) => socket.close(c, r));
    socket.onmessage = (t) => peer.receive(t);
    socket.onclose = (c, r) => peer.markClosed(c, r);
    expect((await handshake(peer, () => connectParams())).ok).toBe(true);
    expect((await call(peer, 'health')).ok).toBe(true);
    socket.close(1000, 'done');
  }

  it('writes request and response lines only to a log that takes debug lines', async () => {
    const quiet = recording((level) => level !== 'debug' && level !== 'trace');
    await callHealth(quiet);
    expect(quiet.lines.filter((l) => l.message === 'request' || l.message === 'response')).toEqual([]);

    const verbose = recording((level) => level !== 'trace');
    await callHealth(verbose);
    expect(verbose.lines.filter((l) => l.level === 'debug').map((l) => l.message)).toEqual(expect.arrayContaining(['request', 'response']));
  });
});
