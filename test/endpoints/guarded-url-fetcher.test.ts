import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardedUrlFetcher, type FetchLike, type HostLookup, type UrlFetchLimits } from '../../endpoints/guarded-url-fetcher.js';
import { InputServer, PNG_1X1 } from '../helpers/input-server.js';

let server: InputServer;
beforeAll(async () => (server = await InputServer.start()));
afterAll(() => server.close());

const limits = (over: Partial<UrlFetchLimits> = {}): UrlFetchLimits => ({
  maxBytes: 1024 * 1024,
  timeoutMs: 2000,
  maxRedirects: 3,
  allowedMimes: new Set(['image/png']),
  urlAllowlist: [],
  allowPrivateNetwork: true,
  ...over,
});

/** A resolver for made-up names, and a fetch that delivers `public.test` from the local server. */
const names: Record<string, string[]> = { 'public.test': ['93.184.216.34'], 'internal.test': ['10.1.2.3'], 'mapped.test': ['93.184.216.34', '::ffff:127.0.0.1'] };
const lookup: HostLookup = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const viaLocal: FetchLike = (url, init) => fetch(url.replace('http://public.test', server.url), init);
const lookups: string[] = [];
const recordingLookup: HostLookup = (host) => (lookups.push(host), lookup(host));

describe('GuardedUrlFetcher', () => {
  it('fetches an allowed type and follows redirects up to the limit', async () => {
    const fetcher = new GuardedUrlFetcher();
    expect(await fetcher.fetch(`${server.url}/img.png`, limits(), 'image URL')).toEqual({ bytes: PNG_1X1, mimeType: 'image/png', url: `${server.url}/img.png` });
    expect((await fetcher.fetch(`${server.url}/r/2`, limits(), 'image URL')).url).toBe(`${server.url}/img.png`);
    await expect(fetcher.fetch(`${server.url}/r/3`, limits(), 'image URL')).rejects.toThrow(`image URL redirected more than 3 times: ${server.url}/r/3`);
    await expect(fetcher.fetch(`${server.url}/r/0`, limits({ maxRedirects: 0 }), 'image URL')).rejects.toThrow('redirected more than 0 times');
  });

  it('refuses other content types, error statuses and other schemes', async () => {
    const fetcher = new GuardedUrlFetcher();
    await expect(fetcher.fetch(`${server.url}/page.html`, limits(), 'image URL')).rejects.toThrow(`image URL has content type text/html, not one of image/png: ${server.url}/page.html`);
    await expect(fetcher.fetch(`${server.url}/nope`, limits(), 'image URL')).rejects.toThrow('image URL answered HTTP 404');
    await expect(fetcher.fetch('file:///etc/passwd', limits(), 'file URL')).rejects.toThrow('file URL must be http or https');
  });

  it('stops reading a body at the byte cap', async () => {
    const fetcher = new GuardedUrlFetcher();
    await expect(fetcher.fetch(`${server.url}/big`, limits({ maxBytes: 256 * 1024 }), 'image URL')).rejects.toThrow(`image URL is larger than 262144 bytes: ${server.url}/big`);
    // The server stops well short of its 50 MB once the reader cancels.
    await new Promise((r) => setTimeout(r, 100));
    expect(server.bigBytesSent).toBeLessThan(20 * 1024 * 1024);
  });

  it('gives up at the deadline', async () => {
    const started = Date.now();
    await expect(new GuardedUrlFetcher().fetch(`${server.url}/slow`, limits({ timeoutMs: 150 }), 'file URL')).rejects.toThrow(`file URL timed out after 150 ms: ${server.url}/slow`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses private, loopback and link-local addresses unless allowed', async () => {
    const strict = limits({ allowPrivateNetwork: false });
    const fetcher = new GuardedUrlFetcher({ lookup, fetch: viaLocal });
    await expect(fetcher.fetch(`${server.url}/img.png`, strict, 'image URL')).rejects.toThrow('image URL host 127.0.0.1 resolves to 127.0.0.1, a private, loopback or link-local address');
    await expect(fetcher.fetch('http://internal.test/img.png', strict, 'image URL')).rejects.toThrow('host internal.test resolves to 10.1.2.3');
    await expect(fetcher.fetch('http://mapped.test/img.png', strict, 'image URL')).rejects.toThrow('host mapped.test resolves to ::ffff:127.0.0.1');
    await expect(fetcher.fetch('http://[::ffff:a9fe:a9fe]/latest', strict, 'image URL')).rejects.toThrow('resolves to ::ffff:a9fe:a9fe');
    await expect(fetcher.fetch('http://nowhere.test/x', strict, 'image URL')).rejects.toThrow('image URL could not be fetched: http://nowhere.test/x (ENOTFOUND)');
    // A public name is fetched; a redirect from it to a private name is checked again and refused.
    expect((await fetcher.fetch('http://public.test/img.png', strict, 'image URL')).bytes).toEqual(PNG_1X1);
    await expect(fetcher.fetch('http://public.test/to-internal', strict, 'image URL')).rejects.toThrow('host internal.test resolves to 10.1.2.3');
    // Allowed by config: the local server is reachable.
    expect((await fetcher.fetch(`${server.url}/img.png`, limits({ allowPrivateNetwork: true }), 'image URL')).bytes).toEqual(PNG_1X1);
  });

  it('checks every hop against the host allow list', async () => {
    lookups.length = 0;
    const fetcher = new GuardedUrlFetcher({ lookup: recordingLookup, fetch: viaLocal });
    const allowlisted = limits({ allowPrivateNetwork: false, urlAllowlist: ['public.test', '*.cdn.test'] });
    expect((await fetcher.fetch('http://public.test/r/1', allowlisted, 'image URL')).bytes).toEqual(PNG_1X1);
    expect(lookups).toEqual(['public.test', 'public.test', 'public.test']);
    await expect(fetcher.fetch('http://public.test/to-internal', allowlisted, 'image URL')).rejects.toThrow('image URL host internal.test is not in the URL allow list');
    await expect(fetcher.fetch('http://cdn.test/x', allowlisted, 'image URL')).rejects.toThrow('host cdn.test is not in the URL allow list');
    await expect(fetcher.fetch('http://a.cdn.test/x', allowlisted, 'image URL')).rejects.toThrow('image URL could not be fetched');
  });
});
