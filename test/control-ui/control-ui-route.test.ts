import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../lib/errors.js';
import { controlUiDashboardUrl, normalizeControlUiBasePath } from '../../control-ui/control-ui-paths.js';
import { createControlUiRoute, defaultControlUiAssetsDir, type ControlUiRouteOptions } from '../../control-ui/control-ui-route.js';
import { HttpRouter } from '../../transports/http.js';

const INDEX = '<!doctype html><html><head><base href="/"><script type="module" src="app.js"></script></head></html>';

let server: Server | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function assets(files: Record<string, string> = { 'index.html': INDEX, 'app.js': 'console.log(1)', 'app.css': 'body{}' }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'openclaw-ui-assets-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** The route behind an HttpRouter (so unmatched paths get the router's 404), on 127.0.0.1:0. */
async function serve(options: ControlUiRouteOptions): Promise<string> {
  const router = new HttpRouter().add(createControlUiRoute(options));
  server = createServer(router.handle);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('createControlUiRoute', () => {
  it('serves the SPA at the root and at each view path, with the base href and a strict CSP', async () => {
    const base = await serve({ assetsDir: await assets() });
    for (const path of ['/', '/chat', '/config']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('<base href="/">');
    }
    const res = await fetch(`${base}/`);
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves assets by name with their content type, and leaves other paths to the next route', async () => {
    const base = await serve({ assetsDir: await assets() });
    const js = await fetch(`${base}/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    expect((await fetch(`${base}/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/missing.js', '/v1/chat/completions', '/chat/extra', '/..%2fpackage.json', '/.hidden']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe('Not Found');
    }
  });

  it('answers HEAD without a body and refuses other methods with 405', async () => {
    const base = await serve({ assetsDir: await assets() });
    const head = await fetch(`${base}/app.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('console.log(1)'.length));
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    // Other single-segment paths stay free for routes registered later.
    expect((await fetch(`${base}/webhook`, { method: 'POST' })).status).toBe(404);
  });

  it('serves under gateway.controlUi.basePath only, redirecting the bare prefix', async () => {
    const base = await serve({ assetsDir: await assets(), basePath: '/ops/ui/' });
    const page = await fetch(`${base}/ops/ui/`);
    expect(await page.text()).toContain('<base href="/ops/ui/">');
    expect((await fetch(`${base}/ops/ui/logs`)).status).toBe(200);
    expect((await fetch(`${base}/ops/ui/app.js`)).status).toBe(200);
    const bare = await fetch(`${base}/ops/ui`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/ops/ui/');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/app.js`)).status).toBe(404);
  });

  it('answers 503 naming `npm run build:ui` when the app is not built', async () => {
    const dir = await assets({});
    const logged: string[][] = [];
    const base = await serve({ assetsDir: dir, logger: { log: (level, _subsystem, message) => logged.push([level, message]) } });
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('Control UI assets are not built. Run `npm run build:ui` and reload.\n');
    expect(logged).toEqual([['warn', `Control UI assets missing in ${dir}; run npm run build:ui`]]);
    await fetch(`${base}/chat`);
    expect(logged).toHaveLength(1);
    expect((await fetch(`${base}/app.js`)).status).toBe(404);
  });

  it('finds dist/control-ui of this package by default', () => {
    expect(defaultControlUiAssetsDir()).toBe(join(import.meta.dirname, '../../dist/control-ui'));
  });
});

describe('normalizeControlUiBasePath', () => {
  it('accepts prefixes with or without slashes', () => {
    expect(normalizeControlUiBasePath(undefined)).toBe('');
    expect(normalizeControlUiBasePath('/')).toBe('');
    expect(normalizeControlUiBasePath('openclaw')).toBe('/openclaw');
    expect(normalizeControlUiBasePath('/a/b-c_d.e~f/')).toBe('/a/b-c_d.e~f');
  });

  it('refuses anything that could leave the prefix or the HTML attribute', () => {
    for (const bad of ['/a/../b', '/a b', '/"><script>', '/a//b', '/a?x=1', '/./a']) {
      expect(() => normalizeControlUiBasePath(bad), bad).toThrow(GatewayError);
    }
    expect(() => normalizeControlUiBasePath('/a b')).toThrow('gateway.controlUi.basePath must look like /path/to/ui');
  });
});

describe('controlUiDashboardUrl', () => {
  it('puts the token in the fragment, never the query', () => {
    expect(controlUiDashboardUrl({ host: '127.0.0.1', port: 18789, token: 'abc' })).toBe('http://127.0.0.1:18789/#token=abc');
    expect(controlUiDashboardUrl({ host: '127.0.0.1', port: 18789, token: 'a b&c' })).toBe('http://127.0.0.1:18789/#token=a%20b%26c');
    expect(controlUiDashboardUrl({ host: '127.0.0.1', port: 1, basePath: 'ui' })).toBe('http://127.0.0.1:1/ui/');
  });

  it('shows wildcard binds as loopback and brackets IPv6 hosts', () => {
    expect(controlUiDashboardUrl({ host: '0.0.0.0', port: 2 })).toBe('http://127.0.0.1:2/');
    expect(controlUiDashboardUrl({ host: '::', port: 2 })).toBe('http://127.0.0.1:2/');
    expect(controlUiDashboardUrl({ host: '::1', port: 2 })).toBe('http://[::1]:2/');
  });
});

describe('another app from gateway.controlUi.root (customApp)', () => {
  it('serves assets from subdirectories, the page at any client route, and nothing outside the root', async () => {
    const dir = await assets({ 'index.html': '<!doctype html><script type="module" src="./assets/app.js"></script>' });
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log("upstream")');
    const origin = await serve({ assetsDir: dir, customApp: true });
    const asset = await fetch(`${origin}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('console.log("upstream")');
    for (const route of ['/sessions', '/chat', '/a/b']) {
      const page = await fetch(`${origin}${route}?session=main`);
      expect(page.status, route).toBe(200);
      expect(await page.text(), route).toContain('./assets/app.js');
      expect(page.headers.get('content-security-policy'), route).toContain("style-src 'self' 'unsafe-inline' https:");
      expect(page.headers.get('content-security-policy'), route).toContain("script-src 'self';");
    }
    for (const path of ['/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/.hidden', '/assets/missing.js']) {
      expect((await fetch(`${origin}${path}`)).status, path).toBe(404);
    }
  });
});
