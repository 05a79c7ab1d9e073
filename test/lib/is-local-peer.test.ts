import { describe, expect, it } from 'vitest';
import { isLocalPeer, resolveClientIp, type PeerRequest } from '../../lib/is-local-peer.js';

function req(remoteAddress: string | undefined, headers: PeerRequest['headers'] = {}, trustedProxies?: string[]): PeerRequest {
  return { remoteAddress, headers, trustedProxies };
}

describe('isLocalPeer', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])('accepts loopback peer %s', (ip) => {
    expect(isLocalPeer(req(ip, { host: 'localhost:18789' }))).toBe(true);
  });

  it.each(['10.0.0.5', '::ffff:10.0.0.5', '192.168.1.2', 'fe80::1', '128.0.0.1', undefined])('rejects peer %s', (ip) => {
    expect(isLocalPeer(req(ip, { host: 'localhost' }))).toBe(false);
  });

  it.each(['localhost', 'LOCALHOST:1', '127.0.0.1', '127.0.0.1:18789', '[::1]:18789', '[::1]', '::1', 'my-box.tail1234.ts.net', 'my-box.tail1234.ts.net:443'])(
    'accepts Host %s',
    (host) => {
      expect(isLocalPeer(req('127.0.0.1', { host }))).toBe(true);
    },
  );

  it.each(['example.com', 'example.com:18789', '192.168.1.2:18789', '127.0.0.2', 'ts.net', 'localhost.evil.com', ''])('rejects Host %j', (host) => {
    expect(isLocalPeer(req('127.0.0.1', { host }))).toBe(false);
  });

  it('counts a missing Host header as local', () => {
    expect(isLocalPeer(req('::1'))).toBe(true);
  });

  it.each(['x-forwarded-for', 'x-real-ip', 'x-forwarded-host'])('rejects a request carrying %s from an untrusted peer', (header) => {
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', [header]: '127.0.0.1' }))).toBe(false);
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', [header]: '127.0.0.1' }, ['10.0.0.1']))).toBe(false);
  });

  it('lets a trusted proxy forward, and then the forwarded address decides', () => {
    const proxies = ['127.0.0.1'];
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-forwarded-for': '127.0.0.1' }, proxies))).toBe(true);
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-forwarded-for': '203.0.113.7, 127.0.0.1' }, proxies))).toBe(false);
    // A remote client that writes a loopback hop itself: the proxy appended its real address.
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-forwarded-for': '127.0.0.1, 203.0.113.7' }, proxies))).toBe(false);
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-real-ip': '::1' }, proxies))).toBe(true);
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-real-ip': '203.0.113.7' }, proxies))).toBe(false);
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-forwarded-host': 'localhost' }, proxies))).toBe(true);
  });

  it('does not count an unreadable forwarded client as local, even behind a loopback proxy', () => {
    expect(isLocalPeer(req('127.0.0.1', { host: 'localhost', 'x-forwarded-for': 'unknown' }, ['127.0.0.1']))).toBe(false);
  });

  it('matches trusted proxies across IPv4-mapped spellings', () => {
    expect(isLocalPeer(req('::ffff:127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }, ['127.0.0.1']))).toBe(true);
  });

  it('still requires a local Host behind a trusted proxy', () => {
    expect(isLocalPeer(req('127.0.0.1', { host: 'gateway.example.com', 'x-forwarded-for': '127.0.0.1' }, ['127.0.0.1']))).toBe(false);
  });
});

describe('resolveClientIp', () => {
  it('reports the socket address, IPv4-mapped addresses as IPv4', () => {
    expect(resolveClientIp(req('::ffff:192.0.2.4'))).toBe('192.0.2.4');
    expect(resolveClientIp(req('::1'))).toBe('::1');
    expect(resolveClientIp(req(undefined))).toBeUndefined();
  });

  it('ignores forwarding headers from untrusted peers', () => {
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': '203.0.113.7' }))).toBe('10.0.0.1');
  });

  it('uses the right-most X-Forwarded-For hop that is not a trusted proxy, then X-Real-IP, from a trusted proxy', () => {
    const proxies = ['10.0.0.1'];
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': ' 203.0.113.7 , 10.0.0.9', 'x-real-ip': '198.51.100.1' }, proxies))).toBe('10.0.0.9');
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': '198.51.100.66, 203.0.113.7, 10.0.0.1' }, proxies))).toBe('203.0.113.7');
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': '10.0.0.1' }, proxies))).toBe('10.0.0.1');
    expect(resolveClientIp(req('10.0.0.1', { 'x-real-ip': '198.51.100.1' }, proxies))).toBe('198.51.100.1');
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': '[2001:db8::1]:4711' }, proxies))).toBe('2001:db8::1');
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': '203.0.113.7:4711' }, proxies))).toBe('203.0.113.7');
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': ['203.0.113.8', '203.0.113.9'] }, proxies))).toBe('203.0.113.9');
  });

  it('falls back to the proxy address when the forwarded value is not an IP', () => {
    expect(resolveClientIp(req('10.0.0.1', { 'x-forwarded-for': 'unknown' }, ['10.0.0.1']))).toBe('10.0.0.1');
  });
});
