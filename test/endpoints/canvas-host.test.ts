import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CanvasHost, type CanvasHostOptions } from '../../endpoints/canvas-host.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Sends the request line exactly as written: no client-side normalisation of `..` or escapes. */
function rawRequest(port: number, path: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const head = raw.subarray(0, split).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const at = line.indexOf(':');
        headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
      }
      resolve({ status: Number(head[0]!.split(' ')[1]), headers, body: raw.subarray(split + 4) });
    });
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
  });
}

const SECRET = 'TOP SECRET outside the canvas root';
const PNG = randomBytes(2048);

describe('CanvasHost', () => {
  let dir: string;
  let root: string;
  const hosts: CanvasHost[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oc-canvas-'));
    root = join(dir, 'canvas');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await mkdir(join(dir, 'canvas-evil'));
    await writeFile(join(dir, 'canvas-evil', 'secret.txt'), SECRET);
    await writeFile(join(root, 'index.html'), '<!doctype html><html><body><h1>Canvas</h1></body></html>');
    await writeFile(join(root, 'app.js'), 'console.log(1)');
    await writeFile(join(root, 'style.css'), 'body{}');
    await writeFile(join(root, 'data.json'), '{"a":1}');
    await writeFile(join(root, 'icon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(root, 'img.png'), PNG);
    await writeFile(join(root, 'font.woff2'), 'w');
    await writeFile(join(root, 'blob.xyz'), 'x');
    await writeFile(join(root, 'fragment.html'), '<p>no body tag</p>');
    await writeFile(join(root, 'sub', 'index.html'), '<html><BODY>sub</BODY></html>');
    await symlink(join(dir, 'secret.txt'), join(root, 'link-out.txt'));
    await symlink(dir, join(root, 'dir-out'));
    await symlink(join(root, 'app.js'), join(root, 'link-in.js'));
  });

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.close()));
    await rm(dir, { recursive: true, force: true });
  });

  async function start(options: Partial<CanvasHostOptions> = {}): Promise<number> {
    const host = new CanvasHost({ root, port: 0, host: '127.0.0.1', debounceMs: 20, ...options });
    hosts.push(host);
    return (await host.listen()).port;
  }

  it('serves files with their content types; directories serve index.html', async () => {
    const port = await start({ liveReload: false });
    const cases: Array<[string, string]> = [
      ['app.js', 'text/javascript; charset=utf-8'],
      ['style.css', 'text/css; charset=utf-8'],
      ['data.json', 'application/json; charset=utf-8'],
      ['icon.svg', 'image/svg+xml; charset=utf-8'],
      ['img.png', 'image/png'],
      ['font.woff2', 'font/woff2'],
      ['blob.xyz', 'application/octet-stream'],
      ['index.html', 'text/html; charset=utf-8'],
      ['link-in.js', 'text/javascript; charset=utf-8'],
    ];
    for (const [file, type] of cases) {
      const res = await rawRequest(port, `/__openclaw__/canvas/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers['content-type'], file).toBe(type);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect((await rawRequest(port, '/__openclaw__/canvas/img.png')).body.equals(PNG)).toBe(true);
    const index = await rawRequest(port, '/__openclaw__/canvas/');
    expect(index.body.toString()).toBe('<!doctype html><html><body><h1>Canvas</h1></body></html>');
    expect((await rawRequest(port, '/__openclaw__/canvas/sub/?v=1')).body.toString()).toContain('sub');

    const noSlash = await rawRequest(port, '/__openclaw__/canvas/sub?v=1');
    expect(noSlash.status).toBe(301);
    expect(noSlash.headers.location).toBe('/__openclaw__/canvas/sub/?v=1');
    expect((await rawRequest(port, '/__openclaw__/canvas')).headers.location).toBe('/__openclaw__/canvas/');
    expect((await rawRequest(port, '/')).headers.location).toBe('/__openclaw__/canvas/');

    const head = await rawRequest(port, '/__openclaw__/canvas/data.json', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('7');
    expect(head.body.length).toBe(0);
    expect((await rawRequest(port, '/__openclaw__/canvas/data.json', 'POST')).status).toBe(405);
    expect((await rawRequest(port, '/__openclaw__/canvas/missing.js')).status).toBe(404);
    expect((await rawRequest(port, '/other')).status).toBe(404);
  });

  it('never serves anything outside the root', async () => {
    const port = await start();
    const secretPath = join(dir, 'secret.txt');
    const attempts = [
      '/__openclaw__/canvas/../secret.txt',
      '/__openclaw__/canvas/../../secret.txt',
      '/__openclaw__/canvas/sub/../../secret.txt',
      '/__openclaw__/canvas/../canvas-evil/secret.txt',
      '/__openclaw__/canvas/%2e%2e/secret.txt',
      '/__openclaw__/canvas/%2E%2E/secret.txt',
      '/__openclaw__/canvas/.%2e/secret.txt',
      '/__openclaw__/canvas/..%2fsecret.txt',
      '/__openclaw__/canvas/..%2Fsecret.txt',
      '/__openclaw__/canvas/%2e%2e%2fsecret.txt',
      '/__openclaw__/canvas/sub%2f..%2f..%2fsecret.txt',
      '/__openclaw__/canvas/%252e%252e/secret.txt',
      '/__openclaw__/canvas/%252e%252e%252fsecret.txt',
      '/__openclaw__/canvas/%25252e%25252e%25252fsecret.txt',
      '/__openclaw__/canvas/..%5csecret.txt',
      '/__openclaw__/canvas/..%5Csecret.txt',
      '/__openclaw__/canvas/..\\secret.txt',
      '/__openclaw__/canvas/%c0%ae%c0%ae/secret.txt',
      '/__openclaw__/canvas/%2e%2e%5csecret.txt',
      '/__openclaw__/canvas/secret.txt%00.html',
      '/__openclaw__/canvas/..%00/secret.txt',
      `/__openclaw__/canvas/${encodeURIComponent(secretPath)}`,
      `/__openclaw__/canvas/${secretPath}`,
      `/__openclaw__/canvas//${secretPath}`,
      '/__openclaw__/canvas/link-out.txt',
      '/__openclaw__/canvas/dir-out/secret.txt',
      '/__openclaw__/canvas/dir-out/canvas-evil/secret.txt',
      '/__openclaw__/canvas/dir-out/',
      '/__openclaw__/canvas/dir-out',
      `/__openclaw__/canvas/../${'../'.repeat(20)}etc/passwd`,
      '/__openclaw__/canvas/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/__openclaw__/canvas/./../secret.txt',
    ];
    for (const path of attempts) {
      const res = await rawRequest(port, path);
      expect([400, 404], `${path} -> ${res.status} ${res.headers.location ?? ''}`).toContain(res.status);
      expect(res.body.toString('latin1'), path).not.toContain('TOP SECRET');
      expect(res.body.toString('latin1'), path).not.toContain('root:');
    }
    // The server is still fine afterwards.
    expect((await rawRequest(port, '/__openclaw__/canvas/app.js')).status).toBe(200);
  });

  it('injects the live-reload script into HTML pages and tells viewers to reload when a file changes', async () => {
    const port = await start();
    const page = (await rawRequest(port, '/__openclaw__/canvas/')).body.toString();
    expect(page).toMatch(/<h1>Canvas<\/h1><script>[\s\S]*\/__openclaw__\/ws[\s\S]*<\/script><\/body><\/html>$/);
    expect((await rawRequest(port, '/__openclaw__/canvas/sub/')).body.toString()).toMatch(/sub<script>[\s\S]*<\/script><\/BODY><\/html>$/);
    expect((await rawRequest(port, '/__openclaw__/canvas/fragment.html')).body.toString()).toMatch(/^<p>no body tag<\/p><script>/);
    expect((await rawRequest(port, '/__openclaw__/canvas/app.js')).body.toString()).toBe('console.log(1)');

    const ws = new WebSocket(`ws://127.0.0.1:${port}/__openclaw__/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    try {
      for (const file of ['app.js', join('sub', 'deep.js')]) {
        const reload = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
        await writeFile(join(root, file), `changed ${Date.now()}`);
        expect(await reload).toBe('reload');
      }
    } finally {
      ws.terminate();
    }
  });

  it('the reload socket refuses pages of other origins and takes its own', async () => {
    const port = await start({});
    const status = (origin: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/__openclaw__/ws`, { headers: { origin } });
        ws.once('open', () => {
          resolve('open');
          ws.terminate();
        });
        ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
        ws.once('error', (err) => resolve(err.message));
      });
    expect(await status('https://evil.example')).toBe('403');
    expect(await status(`http://127.0.0.1:${port}`)).toBe('open');
  });

  it('with liveReload off, pages are served as they are and the reload socket does not exist', async () => {
    const port = await start({ liveReload: false });
    expect((await rawRequest(port, '/__openclaw__/canvas/')).body.toString()).not.toContain('<script>');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/__openclaw__/ws`);
    const refused = await new Promise<string>((resolve) => {
      ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.once('error', (err) => resolve(err.message));
    });
    expect(refused).toMatch(/404/);
  });

  it('creates a missing root, and reports a taken port as ADDRESS_IN_USE', async () => {
    root = join(dir, 'fresh', 'canvas');
    const port = await start();
    expect((await rawRequest(port, '/__openclaw__/canvas/')).status).toBe(404);
    await writeFile(join(root, 'index.html'), '<body>new</body>');
    expect((await rawRequest(port, '/__openclaw__/canvas/')).status).toBe(200);
    const second = new CanvasHost({ root, port, host: '127.0.0.1' });
    await expect(second.listen()).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', message: `canvas host port ${port} is already in use on 127.0.0.1` });
    await second.close();
  });
});
