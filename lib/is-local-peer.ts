/** Request headers as Node hands them over: lowercase keys, repeated headers as arrays. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the local-peer rules look at: the socket's address, the upgrade headers, the trusted proxies. */
export interface PeerRequest {
  /** Address of the socket peer (`req.socket.remoteAddress`). */
  remoteAddress?: string;
  headers: RequestHeaders;
  /** Proxy IPs whose `X-Forwarded-For` / `X-Real-IP` are believed (`gateway.trustedProxies`). */
  trustedProxies?: readonly string[];
}

const FORWARDING_HEADERS = ['x-forwarded-for', 'x-real-ip', 'x-forwarded-host'] as const;

/**
 * Local peers (docs/protocol.md, Local peers): the client is on loopback, it addressed us by a
 * loopback or tailnet name, and nothing forwarded the request unless a trusted proxy did (then
 * the forwarded client address decides). A missing Host header counts as local: only
 * non-HTTP/1.1 clients omit it.
 */
export function isLocalPeer(request: PeerRequest): boolean {
  const { headers } = request;
  const host = firstValue(headers.host);
  if (host !== undefined && !isLocalHostName(hostName(host))) return false;
  const remote = normalizeIp(request.remoteAddress);
  if (FORWARDING_HEADERS.some((name) => headers[name] !== undefined)) {
    if (!isTrustedProxy(request)) return false;
    // A forwarded client we cannot read is not known to be local, even behind a loopback proxy.
    const namesClient = headers['x-forwarded-for'] !== undefined || headers['x-real-ip'] !== undefined;
    const client = namesClient ? forwardedClientIp(request) : remote;
    return client !== undefined && isLoopbackAddress(client);
  }
  return remote !== undefined && isLoopbackAddress(remote);
}

/**
 * The client IP to report: the socket address, or, when the socket peer is a trusted proxy, the
 * forwarded client (else `X-Real-IP`). IPv4-mapped IPv6 addresses are reported as plain IPv4 so
 * logs and proxy lists need only one spelling.
 */
export function resolveClientIp(request: PeerRequest): string | undefined {
  const remote = normalizeIp(request.remoteAddress);
  if (remote === undefined || !isTrustedProxy(request)) return remote;
  return forwardedClientIp(request) ?? remote;
}

/**
 * The right-most `X-Forwarded-For` hop that is not a trusted proxy: each proxy appends the address
 * it saw, while everything to the left of the first untrusted hop was written by the client
 * itself (`X-Forwarded-For: 127.0.0.1` must not make a remote client local). All hops trusted:
 * the left-most.
 */
function forwardedClientIp(request: PeerRequest): string | undefined {
  const value = request.headers['x-forwarded-for'];
  const hops = (typeof value === 'string' ? [value] : (value ?? [])).flatMap((v) => v.split(','));
  let client: string | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    client = normalizeIp(hops[i]);
    if (client === undefined || !isTrusted(client, request.trustedProxies)) break;
  }
  return client ?? normalizeIp(firstValue(request.headers['x-real-ip']));
}

function isTrustedProxy(request: PeerRequest): boolean {
  const remote = normalizeIp(request.remoteAddress);
  return remote !== undefined && isTrusted(remote, request.trustedProxies);
}

function isTrusted(ip: string, proxies: readonly string[] | undefined): boolean {
  return (proxies ?? []).some((proxy) => normalizeIp(proxy) === ip);
}

function isLocalHostName(name: string): boolean {
  return name === 'localhost' || name === '127.0.0.1' || name === '::1' || name.endsWith('.ts.net');
}

function isLoopbackAddress(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1' || /^(?:0{1,4}:){7}0{0,3}1$/.test(ip);
}

/** `Host` without its port: `[::1]:18789` → `::1`, `localhost:18789` → `localhost`. */
function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  // More than one colon is a bare IPv6 literal, which has no port to strip.
  return colon !== -1 && colon === value.lastIndexOf(':') ? value.slice(0, colon) : value;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9a-f:]*:[0-9a-f:.]*$/;

/**
 * Canonical spelling of an address taken from a socket or a forwarding header, or undefined when
 * it is not an IP at all (`unknown`, obfuscated RFC 7239 ids). Proxies may append a port
 * (`1.2.3.4:5678`, `[::1]:5678`) and sockets may carry a zone (`fe80::1%eth0`).
 */
function normalizeIp(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let ip = raw.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(ip)) ip = ip.slice(0, ip.indexOf(':'));
  ip = ip.replace(/%.*$/, '');
  if (ip.startsWith('::ffff:') && IPV4.test(ip.slice(7))) ip = ip.slice(7);
  return IPV4.test(ip) || IPV6.test(ip) ? ip : undefined;
}

function firstValue(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
