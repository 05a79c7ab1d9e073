import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pinnedFetch } from '../../endpoints/pinned-fetch.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(): Promise<number> {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-host': req.headers.host ?? '' });
    res.end('pinned body');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as AddressInfo).port;
}

describe('pinnedFetch', () => {
  it('connects to the checked address, never resolving the name again, and keeps the name for the request', async () => {
    const port = await serve();
    // `.invalid` never resolves: only the pinned address can have been used.
    const res = await pinnedFetch(`http://rebind.invalid:${port}/file.txt`, { address: '127.0.0.1', headers: { accept: 'text/plain' }, signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-host')).toBe(`rebind.invalid:${port}`);
    expect(await res.text()).toBe('pinned body');
  });

  it('fails when the pinned address does not answer, whatever the name says', async () => {
    const port = await serve();
    // The name does not resolve at all: only the (wrong) pinned address was tried.
    await expect(pinnedFetch(`http://rebind.invalid:${port}/`, { address: '127.0.0.2', headers: {}, signal: AbortSignal.timeout(2000) }).then((r) => r.text())).rejects.toThrow();
  });
});
