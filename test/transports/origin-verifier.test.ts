import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createOriginVerifier } from '../../transports/origin-verifier.js';

const request = (host?: string) => ({ headers: host === undefined ? {} : { host } }) as IncomingMessage;

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
