import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { Logger } from '../../lib/logger.js';
import { createOriginVerifier } from '../../transports/origin-verifier.js';
import { WebSocketTransport } from '../../transports/ws.js';
import { echoSink } from '../helpers/echo-sink.js';

const request = (host?: string) => ({ headers: host === undefined ? {} : { host } }) as IncomingMessage;

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, subsystem, message) => void lines.push(`${level} [${subsystem}] ${message}`) };
}

/** The HTTP status a real WebSocket upgrade with this Origin gets (101 when it opens). */
function upgradeStatus(url: string, origin: string): Promise<number> {
  const ws = new WebSocket(url, { origin });
  ws.on('error', () => {});
  return new Promise<number>((resolve) => {
    ws.once('open', () => resolve(101));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
  }).finally(() => ws.terminate());
}

describe('createOriginVerifier', () => {
  const verify = createOriginVerifier({ machineName: 'studio' });

  it('lets non-browser clients (no Origin) through', () => {
    expect(verify(undefined, request('127.0.0.1:18789'))).toBe(true);
  });

  it("accepts the gateway's own origin under loopback, IP, machine and tailnet names", () => {
    for (const host of ['127.0.0.1:18789', 'localhost:18789', '[::1]:18789', '192.168.1.20:18789', 'studio:18789', 'studio.local:18789', 'studio.tail1234.ts.net']) {
      expect(verify(`http://${host}`, request(host)), host).toBe(true);
    }
    expect(verify('https://LOCALHOST:8443', request('localhost:8443'))).toBe(true);
  });

  it('refuses pages from another origin: other port, other host, other scheme-less junk', () => {
    expect(verify('http://127.0.0.1:5173', request('127.0.0.1:18789'))).toBe(false);
    expect(verify('http://localhost:18789', request('127.0.0.1:18789'))).toBe(false);
    expect(verify('https://evil.example', request('127.0.0.1:18789'))).toBe(false);
    expect(verify('null', request('127.0.0.1:18789'))).toBe(false);
    expect(verify('file://', request('127.0.0.1:18789'))).toBe(false);
    expect(verify('chrome-extension://abc', request('127.0.0.1:18789'))).toBe(false);
    expect(verify('http://127.0.0.1:18789', request())).toBe(false);
  });

  it('refuses DNS rebinding: a foreign name whose Origin and Host agree', () => {
    expect(verify('http://evil.example:18789', request('evil.example:18789'))).toBe(false);
  });

  it('accepts origins listed in allowedOrigins, spelled in any canonical-equivalent way', () => {
    const withList = createOriginVerifier({ allowedOrigins: ['https://Ops.Example.com/', 'http://evil.example:18789', 'not a url'], machineName: 'studio' });
    expect(withList('https://ops.example.com', request('127.0.0.1:18789'))).toBe(true);
    expect(withList('https://ops.example.com:443', request('gateway.internal'))).toBe(true);
    expect(withList('http://evil.example:18789', request('evil.example:18789'))).toBe(true);
    expect(withList('https://ops.example.com:8443', request('127.0.0.1:18789'))).toBe(false);
  });
});

describe('createOriginVerifier: refusals in the log', () => {
  const transports: WebSocketTransport[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it('logs a refused upgrade once, with the config key that would allow it, and never the URL', async () => {
    const logger = recordingLogger();
    const transport = new WebSocketTransport({ sink: echoSink().sink, port: 0, host: '127.0.0.1', verifyOrigin: createOriginVerifier({ logger, machineName: 'studio' }) });
    transports.push(transport);
    const { port } = await transport.listen();
    const url = `ws://127.0.0.1:${port}/?token=sekrit-token`;

    expect(await upgradeStatus(url, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(url, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(url, `http://127.0.0.1:${port}`)).toBe(101);
    expect(logger.lines).toEqual([
      'warn [gateway/ws] refused WebSocket from origin https://evil.example: not allowed; add it to gateway.controlUi.allowedOrigins to allow it',
    ]);
    expect(logger.lines.join('\n')).not.toContain('sekrit');
  });

  it('logs each origin at most once a minute, and quotes origins that cannot be allowed', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const logger = recordingLogger();
    const verify = createOriginVerifier({ logger, machineName: 'studio' });
    const host = request('127.0.0.1:18789');
    expect(verify('https://evil.example', host)).toBe(false);
    expect(verify('https://EVIL.example:443', host)).toBe(false);
    expect(verify('null', host)).toBe(false);
    expect(verify('null', host)).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(verify('https://evil.example', host)).toBe(false);
    expect(logger.lines).toEqual([
      'warn [gateway/ws] refused WebSocket from origin https://evil.example: not allowed; add it to gateway.controlUi.allowedOrigins to allow it',
      'warn [gateway/ws] refused WebSocket from origin "null": not an http(s) page origin',
      'warn [gateway/ws] refused WebSocket from origin https://evil.example: not allowed; add it to gateway.controlUi.allowedOrigins to allow it',
    ]);
  });
});
