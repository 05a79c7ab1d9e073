import { lookup as dnsLookup } from 'node:dns/promises';
import { pinnedFetch } from './pinned-fetch.js';
import { isIP } from 'node:net';
import { GatewayError, invalidRequest } from '../lib/errors.js';
import { isBlockedAddress } from './blocked-address.js';

/**
 * The slice of `fetch` the fetcher uses; redirects are always followed by the fetcher itself.
 * `address`, when given, is where the connection must go (checked already): no second lookup.
 */
export type FetchLike = (url: string, init: { redirect: 'manual'; signal: AbortSignal; headers: Record<string, string>; address?: string }) => Promise<Response>;

/** Every address a host name resolves to. */
export type HostLookup = (hostname: string) => Promise<ReadonlyArray<{ address: string; family: number }>>;

export interface GuardedUrlFetcherOptions {
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** Default: node:dns lookup with `all: true` (what the system resolver answers). */
  lookup?: HostLookup;
}

/** What one URL fetch may do (docs/protocol.md, `/v1/responses` inputs). */
export interface UrlFetchLimits {
  maxBytes: number;
  /** For the whole fetch: every lookup, hop and the body. */
  timeoutMs: number;
  maxRedirects: number;
  /** Lower-case media types without parameters. */
  allowedMimes: ReadonlySet<string>;
  /** Host names allowed (`cdn.example.com`, `*.example.com` for its subdomains); empty allows any. */
  urlAllowlist: readonly string[];
  /** Let the fetch reach private, loopback and link-local addresses. */
  allowPrivateNetwork: boolean;
}

export interface FetchedUrl {
  bytes: Buffer;
  /** The response's media type, lower case, without parameters. */
  mimeType: string;
  /** Where the bytes came from, after redirects. */
  url: string;
}

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Fetches a URL a caller named, for the gateway to read: http(s) only, every hop's host checked
 * against the allow list and every address it resolves to checked against private ranges, a
 * bounded number of redirects, one deadline for all of it, and the body streamed up to a byte cap.
 * Failures are `INVALID_REQUEST` errors that say which limit was hit.
 *
 * The connection goes to an address that was checked (the default transport pins it), so a
 * resolver that answers differently the second time (DNS rebinding) cannot redirect it.
 */
export class GuardedUrlFetcher {
  readonly #fetch: FetchLike;
  readonly #lookup: HostLookup;

  constructor(options: GuardedUrlFetcherOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => (init.address ? pinnedFetch(url, { signal: init.signal, headers: init.headers, address: init.address }) : fetch(url, init)));
    this.#lookup = options.lookup ?? systemLookup;
  }

  /** `what` names the input in error messages ("image URL", "file URL"). */
  async fetch(rawUrl: string, limits: UrlFetchLimits, what: string): Promise<FetchedUrl> {
    const signal = AbortSignal.timeout(limits.timeoutMs);
    try {
      return await this.#follow(rawUrl, limits, what, signal);
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (signal.aborted) throw invalidRequest(`${what} timed out after ${limits.timeoutMs} ms: ${rawUrl}`);
      throw invalidRequest(`${what} could not be fetched: ${rawUrl} (${causeOf(err)})`);
    }
  }

  async #follow(rawUrl: string, limits: UrlFetchLimits, what: string, signal: AbortSignal): Promise<FetchedUrl> {
    let url = parseUrl(rawUrl, what);
    for (let hops = 0; ; hops++) {
      const address = await this.#checkHost(url, limits, what, signal);
      const res = await this.#fetch(url.href, { redirect: 'manual', signal, headers: { accept: [...limits.allowedMimes].join(', ') || '*/*' }, ...(address ? { address } : {}) });
      if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
        await res.body?.cancel().catch(() => undefined);
        if (hops >= limits.maxRedirects) throw invalidRequest(`${what} redirected more than ${limits.maxRedirects} times: ${rawUrl}`);
        url = parseUrl(new URL(res.headers.get('location')!, url).href, what);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw invalidRequest(`${what} answered HTTP ${res.status}: ${url.href}`);
      }
      const mimeType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!limits.allowedMimes.has(mimeType)) {
        await res.body?.cancel().catch(() => undefined);
        throw invalidRequest(`${what} has content type ${mimeType || '(none)'}, not one of ${[...limits.allowedMimes].join(', ')}: ${url.href}`);
      }
      const bytes = await readCapped(res, limits.maxBytes, () => invalidRequest(`${what} is larger than ${limits.maxBytes} bytes: ${url.href}`));
      return { bytes, mimeType, url: url.href };
    }
  }

  /** Checks the hop's host; the checked address the connection must use (undefined when private ones are allowed). */
  async #checkHost(url: URL, limits: UrlFetchLimits, what: string, signal: AbortSignal): Promise<string | undefined> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (limits.urlAllowlist.length && !limits.urlAllowlist.some((pattern) => hostMatches(host, pattern))) {
      throw invalidRequest(`${what} host ${host} is not in the URL allow list`);
    }
    if (limits.allowPrivateNetwork) return undefined;
    const addresses = isIP(host) ? [host] : (await abortable(this.#lookup(host), signal)).map((a) => a.address);
    if (!addresses.length) throw invalidRequest(`${what} host ${host} does not resolve`);
    const blocked = addresses.find(isBlockedAddress);
    if (blocked !== undefined) throw invalidRequest(`${what} host ${host} resolves to ${blocked}, a private, loopback or link-local address`);
    return addresses[0];
  }
}

function parseUrl(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidRequest(`${what} is not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidRequest(`${what} must be http or https: ${raw}`);
  return url;
}

/** `example.com` matches itself only; `*.example.com` matches its subdomains, not itself. */
function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return host === p;
}

/** The body, refusing at the cap while it streams (a declared length over the cap refuses at once). */
async function readCapped(res: Response, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

function causeOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
}
