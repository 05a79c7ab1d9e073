import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TOKEN } from '../helpers/connect.js';
import { connectPeer, findFreePort, killAll, makeEnv, startGateway, type TestEnv } from '../bin/helpers.js';

afterEach(killAll);

/** The canvas host a fresh (protocol 4) connection is told about: `hello-ok.pluginSurfaceUrls.canvas`, or undefined. */
async function canvasHostUrl(url: string): Promise<string | undefined> {
  const peer = await connectPeer(url, TOKEN);
  const hello = peer.frames.find((f) => f.type === 'res' && f.id === '1')!.payload;
  peer.ws.close();
  expect(hello.protocol).toBe(4);
  expect(hello.canvasHostUrl).toBeUndefined();
  return hello.pluginSurfaceUrls?.canvas;
}

async function env(config: object = {}, extra: Record<string, string | undefined> = {}): Promise<TestEnv> {
  const t = await makeEnv({ OPENCLAW_GATEWAY_TOKEN: TOKEN, ...extra });
  await writeFile(t.configPath, JSON.stringify({ gateway: { mode: 'local' }, ...config }));
  return t;
}

describe('openclaw gateway: canvas host', () => {
  it('serves <workspace>/canvas on its own port and advertises it in hello-ok', async () => {
    const t = await env();
    const gw = await startGateway(['--port', '0'], t);
    const url = await canvasHostUrl(gw.url);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe(`http://127.0.0.1:${gw.port}`);
    expect(gw.proc.output).toContain(`canvas host on ${url}/__openclaw__/canvas/ (root ${join(t.home, '.openclaw', 'workspace', 'canvas')})`);
    await writeFile(join(t.home, '.openclaw', 'workspace', 'canvas', 'index.html'), '<html><body>hi</body></html>');
    const res = await fetch(`${url}/__openclaw__/canvas/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toMatch(/^<html><body>hi<script>[\s\S]*<\/script><\/body><\/html>$/);
    // The gateway port itself does not serve the canvas.
    expect((await fetch(`http://127.0.0.1:${gw.port}/__openclaw__/canvas/`)).status).not.toBe(200);
  });

  it('takes canvasHost.root (relative to the config file), liveReload and OPENCLAW_CANVAS_HOST_PORT', async () => {
    const port = await findFreePort();
    const t = await env({ canvasHost: { root: 'my-canvas', liveReload: false } }, { OPENCLAW_CANVAS_HOST_PORT: String(port) });
    await mkdir(join(t.stateDir, 'my-canvas'));
    await writeFile(join(t.stateDir, 'my-canvas', 'index.html'), '<body>mine</body>');
    const gw = await startGateway(['--port', '0'], t);
    const url = await canvasHostUrl(gw.url);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(await (await fetch(`${url}/__openclaw__/canvas/`)).text()).toBe('<body>mine</body>');
  });

  it('is off with canvasHost.enabled=false or OPENCLAW_SKIP_CANVAS_HOST=1', async () => {
    const [off, skipped] = await Promise.all([env({ canvasHost: { enabled: false } }), env({}, { OPENCLAW_SKIP_CANVAS_HOST: '1' })]);
    const [a, b] = await Promise.all([startGateway(['--port', '0'], off), startGateway(['--port', '0'], skipped)]);
    expect(await canvasHostUrl(a.url)).toBeUndefined();
    expect(await canvasHostUrl(b.url)).toBeUndefined();
    expect(a.proc.output + b.proc.output).not.toContain('canvas host');
  });

  it('a taken canvas port is logged and the gateway runs on without the canvas', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const t = await env({}, { OPENCLAW_CANVAS_HOST_PORT: String(taken) });
      const gw = await startGateway(['--port', '0'], t);
      expect(await canvasHostUrl(gw.url)).toBeUndefined();
      expect(gw.proc.output).toContain(`canvas host not started: canvas host port ${taken} is already in use on 127.0.0.1`);
    } finally {
      blocker.close();
    }
  });
});
