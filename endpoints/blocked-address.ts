import { isIPv4, isIPv6 } from 'node:net';

/** IPv4 ranges a fetch on a caller's behalf must not reach: this host, its networks, and non-unicast space. */
const BLOCKED_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
];

/** IPv6 ranges blocked outright (first hextets and prefix length). */
const BLOCKED_V6: ReadonlyArray<readonly [number[], number]> = [
  [[0xfc00], 7], // unique local
  [[0xfe80], 10], // link-local
  [[0xfec0], 10], // site-local (deprecated, still routed by some stacks)
  [[0xff00], 8], // multicast
  [[0x0064, 0xff9b, 0x0001], 48], // local-use NAT64: translates to whatever IPv4 the site chose
  [[0x2001, 0x0000], 32], // Teredo: an (obfuscated) IPv4 address inside
  [[0x0100, 0, 0, 0], 64], // discard-only
];

/**
 * Whether an IP address is private, loopback, link-local or otherwise not a public unicast
 * address. IPv6 forms that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
 * NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by that IPv4 address. Anything that does not
 * parse counts as blocked.
 */
export function isBlockedAddress(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIPv4(ip)) return blockedV4(v4Number(ip));
  if (!isIPv6(ip)) return true;
  const h = hextets(ip);
  if (h.every((x) => x === 0)) return true; // ::
  if (h.slice(0, 7).every((x) => x === 0) && h[7] === 1) return true; // ::1
  const embedded = (hi: number, lo: number) => blockedV4(((hi << 16) >>> 0) + lo);
  if (h.slice(0, 5).every((x) => x === 0) && (h[5] === 0xffff || h[5] === 0)) return embedded(h[6]!, h[7]!);
  // IPv4-translated ::ffff:0:a.b.c.d (RFC 2765).
  if (h.slice(0, 4).every((x) => x === 0) && h[4] === 0xffff && h[5] === 0) return embedded(h[6]!, h[7]!);
  if (h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return embedded(h[6]!, h[7]!);
  if (h[0] === 0x2002) return embedded(h[1]!, h[2]!);
  return BLOCKED_V6.some(([prefix, bits]) => inV6Prefix(h, prefix, bits));
}

function blockedV4(n: number): boolean {
  return BLOCKED_V4.some(([base, bits]) => {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((n & mask) >>> 0) === ((v4Number(base) & mask) >>> 0);
  });
}

function v4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The eight 16-bit groups of an IPv6 address, a trailing dotted IPv4 part included. */
function hextets(ip: string): number[] {
  let text = ip.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4Number(dotted[1]!);
    text = `${text.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16));
}

function inV6Prefix(h: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i < prefix.length; i++) {
    const width = Math.min(16, bits - i * 16);
    if (width <= 0) break;
    const mask = (0xffff << (16 - width)) & 0xffff;
    if ((h[i]! & mask) !== (prefix[i]! & mask)) return false;
  }
  return true;
}
