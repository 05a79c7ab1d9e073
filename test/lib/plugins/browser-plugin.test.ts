import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayClient } from '../../../lib/client/index.js';
import { startApprovalsGateway, startExecNode } from '../../helpers/exec-node.js';
import { startOperator } from '../../helpers/nodes.js';

/** A local browser-control server stand-in: what a node's browser.proxy forwards to. */
async function browserControl(): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}${body ? ` ${body}` : ''}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url === '/' ? { enabled: true, running: false, profile: 'openclaw' } : { ok: true, echo: body ? JSON.parse(body) : null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

describe('browser.request over WebSocket', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function operator(url: string, scopes?: string[]): Promise<GatewayClient> {
    const client = await startOperator(url, scopes ? { scopes } : {});
    cleanup.push(() => client.close());
    return client;
  }

  it('fails with UNAVAILABLE while no node offers browser control, then relays to the one that does', async () => {
    const gw = await startApprovalsGateway();
    cleanup.push(() => gw.close());
    const op = await operator(gw.url, ['operator.write']);
    await expect(op.call('browser.request', { method: 'GET', path: '/' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'no connected node offers browser control (browser.proxy)',
    });
    // A node without browser.proxy does not count.
    const plain = await startExecNode(gw.url);
    cleanup.push(() => plain.close());
    await expect(op.call('browser.request', { method: 'GET', path: '/' })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await plain.close();

    const control = await browserControl();
    cleanup.push(() => new Promise((resolve) => control.server.close(resolve)));
    const node = await startExecNode(gw.url, { browserControlUrl: control.url });
    cleanup.push(() => node.close());
    await expect(op.call('browser.request', { method: 'GET', path: '/' })).resolves.toEqual({ enabled: true, running: false, profile: 'openclaw' });
    await expect(op.call('browser.request', { method: 'POST', path: '/navigate', query: { profile: 'openclaw' }, body: { url: 'https://example.com' }, timeoutMs: 3_000 })).resolves.toEqual({
      ok: true,
      echo: { url: 'https://example.com' },
    });
    expect(control.seen).toEqual(['GET /', 'POST /navigate?profile=openclaw {"url":"https://example.com"}']);
    const proxied = node.requests.filter((r) => r.command === 'browser.proxy');
    expect(proxied[1]).toMatchObject({ timeoutMs: 8_000 });
    expect(JSON.parse(proxied[1]!.paramsJSON!)).toEqual({ method: 'POST', path: '/navigate', query: { profile: 'openclaw' }, body: { url: 'https://example.com' }, timeoutMs: 3_000 });
    await expect(operator(gw.url, ['operator.read']).then((c) => c.call('browser.request', { method: 'GET', path: '/' }))).rejects.toMatchObject({
      message: 'missing scope: operator.write',
    });
  });

  it('follows gateway.nodes.browser: off, and a named node that is not there', async () => {
    const off = await startApprovalsGateway({ browser: { mode: 'off' } });
    cleanup.push(() => off.close());
    const op = await operator(off.url);
    await expect(op.call('browser.request', { method: 'GET', path: '/' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'browser control through nodes is off (gateway.nodes.browser.mode is "off")',
    });
    const manual = await startApprovalsGateway({ browser: { mode: 'manual', node: 'Studio Mac' } });
    cleanup.push(() => manual.close());
    const op2 = await operator(manual.url);
    await expect(op2.call('browser.request', { method: 'GET', path: '/' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: 'browser node "Studio Mac" (gateway.nodes.browser.node) is not connected',
    });
  });
});
