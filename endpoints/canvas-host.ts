/**
 * The canvas host: {@link CanvasHost} serves one directory at `/__openclaw__/canvas/` on its own
 * port, with an optional live-reload WebSocket at `/__openclaw__/ws`.
 *
 * @module clawgate/endpoints/canvas-host
 */
import { constants, watch, type FSWatcher } from 'node:fs';
import { mkdir, open, realpath, stat } from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { GatewayError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { bindServers, stopServer } from '../transports/bind-servers.js';
import type { HttpRoute } from '../transports/http.js';

export interface CanvasHostOptions {
  /** The directory served at `/__openclaw__/canvas/`; created when missing. */
  root: string;
  /** Port of the canvas server (0 picks one). Default 18793, the default gateway port + 4. */
  port?: number;
  /** Addresses to bind: the first with `port`, the rest on the port it got. Default `["127.0.0.1", "::1"]`. */
  host?: string | string[];
  /** Inject a reload script into HTML pages and tell them to reload when a file changes. Default true. */
  liveReload?: boolean;
  /** Quiet time after the last file change before pages are told to reload. Default 100 ms. */
  debounceMs?: number;
  logger?: Logger;
}

const CANVAS_PATH = '/__openclaw__/canvas/';
const LIVE_RELOAD_PATH = '/__openclaw__/ws';
const DEFAULT_PORT = 18793;
const DEFAULT_HOSTS = ['127.0.0.1', '::1'];

const TEXT = '; charset=utf-8';
const CONTENT_TYPES: Record<string, string> = {
  '.html': `text/html${TEXT}`,
  '.htm': `text/html${TEXT}`,
  '.js': `text/javascript${TEXT}`,
  '.mjs': `text/javascript${TEXT}`,
  '.css': `text/css${TEXT}`,
  '.json': `application/json${TEXT}`,
  '.map': `application/json${TEXT}`,
  '.txt': `text/plain${TEXT}`,
  '.md': `text/markdown${TEXT}`,
  '.csv': `text/csv${TEXT}`,
  '.xml': `application/xml${TEXT}`,
  '.svg': `image/svg+xml${TEXT}`,
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
  '.pdf': 'application/pdf',
};

// Reconnects with backoff, so pages survive a gateway restart and reload once it is back.
const LIVE_RELOAD_SCRIPT = `<script>(() => {
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '${LIVE_RELOAD_PATH}';
  let delay = 500;
  const connect = () => {
    const ws = new WebSocket(url);
    ws.onopen = () => { delay = 500; };
    ws.onmessage = (event) => { if (event.data === 'reload') location.reload(); };
    ws.onclose = () => { setTimeout(connect, delay); delay = Math.min(delay * 2, 10000); };
  };
  connect();
})();</script>`;

type Resolved = { ok: true; path: string } | { ok: false; status: number; location?: string };

/**
 * The canvas host: a static file server for one directory on its own port, plus an optional
 * live-reload WebSocket. Nothing outside the root is ever served: encoded separators, dot
 * segments, backslashes, NUL bytes and symlinks that lead out of the root are all refused.
 */
export class CanvasHost {
  readonly #root: string;
  readonly #port: number;
  readonly #hosts: string[];
  readonly #liveReload: boolean;
  readonly #debounceMs: number;
  readonly #logger?: Logger;
  readonly #wss: WebSocketServer;
  readonly #viewers = new Set<WebSocket>();
  readonly #routes: HttpRoute[] = [];
  #servers: Server[] = [];
  #realRoot?: string;
  #watcher?: FSWatcher;
  #reloadTimer?: NodeJS.Timeout;
  #listening?: Promise<{ port: number; hosts: string[] }>;
  #opening?: Promise<void>;
  #closing?: Promise<void>;

  constructor(options: CanvasHostOptions) {
    this.#root = resolve(options.root);
    this.#port = options.port ?? DEFAULT_PORT;
    this.#hosts = options.host === undefined ? DEFAULT_HOSTS : [options.host].flat();
    this.#liveReload = options.liveReload ?? true;
    this.#debounceMs = options.debounceMs ?? 100;
    this.#logger = options.logger;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 1024, clientTracking: false, perMessageDeflate: false });
  }

  get root(): string {
    return this.#root;
  }

  /** Creates the root if needed, starts watching it and binds every host. Idempotent. */
  listen(): Promise<{ port: number; hosts: string[] }> {
    if (this.#closing) return Promise.reject(new GatewayError('CLOSED', 'CanvasHost is closed'));
    this.#listening ??= this.#start();
    return this.#listening;
  }

  /**
   * Serves a canvas request; false when the path is not the canvas's, so hosts can mount this
   * on a server of their own next to other routes.
   */
  async handleRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path === CANVAS_PATH.slice(0, -1)) {
      redirect(res, CANVAS_PATH);
      return true;
    }
    if (!path.startsWith(CANVAS_PATH)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { allow: 'GET, HEAD' });
      return true;
    }
    const resolved = await this.#resolve(path.slice(CANVAS_PATH.length));
    if (!resolved.ok) {
      if (resolved.location) redirect(res, resolved.location + (queryAt === -1 ? '' : url.slice(queryAt)));
      else send(res, resolved.status);
      return true;
    }
    await this.#sendFile(req, res, resolved.path);
    return true;
  }

  /**
   * Serves another route on the canvas port, tried after the canvas files (the A2UI page, whose
   * action route needs the running gateway, is added once the gateway has started).
   */
  addRoute(route: HttpRoute): this {
    this.#routes.push(route);
    return this;
  }

  /** Takes the live-reload upgrade; false for any other path (or with live reload off). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '';
    const path = url.split('?')[0];
    if (!this.#liveReload || path !== LIVE_RELOAD_PATH || this.#closing) return false;
    // Only the canvas pages themselves (same origin) or non-browser clients may listen: a page on
    // another site must not learn when the user's canvas files change.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return true;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#viewers.add(ws);
      ws.on('error', () => ws.terminate());
      ws.once('close', () => this.#viewers.delete(ws));
    });
    return true;
  }

  /** Answers any upgrade on the canvas port: live reload, else 404. */
  serveUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.handleUpgrade(req, socket, head)) refuseUpgrade(socket);
  }

  /** Stops watching, disconnects viewers and closes the servers. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /**
   * Creates the root if needed and starts watching it for live reload, without binding: for a
   * host that serves `handleRequest`/`handleUpgrade` on servers of its own. `listen()` does this
   * too. Idempotent.
   */
  open(): Promise<void> {
    if (this.#closing) return Promise.reject(new GatewayError('CLOSED', 'CanvasHost is closed'));
    this.#opening ??= (async () => {
      await mkdir(this.#root, { recursive: true });
      this.#realRoot = await realpath(this.#root);
      if (this.#liveReload && !this.#closing) this.#watch();
    })();
    return this.#opening;
  }

  async #start(): Promise<{ port: number; hosts: string[] }> {
    await this.open();
    return this.#bind();
  }

  async #bind(): Promise<{ port: number; hosts: string[] }> {
    const bound = await bindServers({
      port: this.#port,
      hosts: this.#hosts,
      label: 'canvas host',
      onRequest: (req, res) => {
        this.serve(req, res).catch((err: unknown) => {
          this.#logger?.log('error', 'canvas', `${req.method} ${(req.url ?? '').split('?')[0]} failed: ${(err as Error).message}`);
          if (!res.headersSent) send(res, 500);
          else res.destroy();
        });
      },
      onUpgrade: (req, socket, head) => this.serveUpgrade(req, socket, head),
    });
    this.#servers = bound.servers;
    return { port: bound.port, hosts: bound.hosts };
  }

  /** Answers any request on the canvas port: the files, the added routes, `/` redirected, else 404. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (await this.handleRequest(req, res)) return;
    for (const route of this.#routes) if (await route(req, res)) return;
    if ((req.url ?? '/').split('?')[0] === '/') redirect(res, CANVAS_PATH);
    else send(res, 404);
  }

  /** Maps the part of the URL path after the canvas prefix to a regular file inside the root. */
  async #resolve(rest: string): Promise<Resolved> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rest);
    } catch {
      return { ok: false, status: 400 };
    }
    // A second layer of encoding (%252e%252e) or a Windows separator is never a canvas file name.
    if (/[\\\0]/.test(decoded) || /%[0-9a-f]{2}/i.test(decoded)) return { ok: false, status: 400 };
    const segments = decoded.split('/');
    if (segments.some((s) => s === '.' || s === '..')) return { ok: false, status: 400 };
    this.#realRoot ??= await realpath(this.#root);
    const realRoot = this.#realRoot;
    const candidate = join(realRoot, ...segments.filter(Boolean));
    if (!inside(realRoot, candidate)) return { ok: false, status: 400 };

    const real = await realpathInside(realRoot, candidate);
    if (!real) return { ok: false, status: 404 };
    const info = await stat(real);
    if (info.isDirectory()) {
      if (rest !== '' && !rest.endsWith('/')) return { ok: false, status: 301, location: CANVAS_PATH + rest + '/' };
      const index = await realpathInside(realRoot, join(real, 'index.html'));
      if (!index || !(await stat(index)).isFile()) return { ok: false, status: 404 };
      return { ok: true, path: index };
    }
    return info.isFile() ? { ok: true, path: real } : { ok: false, status: 404 };
  }

  async #sendFile(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // No symlink may be swapped in between the checks above and this open.
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (!handle) {
      send(res, 404);
      return;
    }
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const headers = { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    let streaming = false;
    try {
      if (this.#liveReload && type.startsWith('text/html')) {
        const body = Buffer.from(injectReloadScript(await handle.readFile('utf8')), 'utf8');
        res.writeHead(200, { ...headers, 'content-length': body.length });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      const { size } = await handle.stat();
      res.writeHead(200, { ...headers, 'content-length': size });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      // The stream owns the handle from here and closes it, also when the viewer goes away.
      streaming = true;
      await pipeline(handle.createReadStream(), res).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      });
    } finally {
      if (!streaming) await handle.close().catch(() => undefined);
    }
  }

  #watch(): void {
    const onChange = () => {
      clearTimeout(this.#reloadTimer);
      this.#reloadTimer = setTimeout(() => this.#broadcastReload(), this.#debounceMs).unref();
    };
    try {
      this.#watcher = watch(this.#root, { recursive: true }, onChange);
    } catch (err) {
      // Platforms without recursive watching still get reloads for top-level files.
      this.#logger?.log('warn', 'canvas', `recursive watch unavailable (${(err as Error).message}); watching the top level only`);
      this.#watcher = watch(this.#root, onChange);
    }
    this.#watcher.on('error', (err) => this.#logger?.log('warn', 'canvas', `watching ${this.#root} failed: ${err.message}`));
  }

  #broadcastReload(): void {
    this.#logger?.log('debug', 'canvas', 'files changed; reloading viewers', { viewers: this.#viewers.size });
    for (const ws of this.#viewers) ws.send('reload');
  }

  async #shutdown(): Promise<void> {
    await this.#listening?.catch(() => undefined);
    await this.#opening?.catch(() => undefined);
    this.#watcher?.close();
    clearTimeout(this.#reloadTimer);
    for (const ws of this.#viewers) ws.terminate();
    this.#viewers.clear();
    this.#wss.close();
    await Promise.all(this.#servers.map(stopServer));
    this.#servers = [];
  }
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/** The symlink-free path of `path`, or undefined when it is missing or resolves outside `root`. */
async function realpathInside(root: string, path: string): Promise<string | undefined> {
  try {
    const real = await realpath(path);
    return inside(root, real) ? real : undefined;
  } catch {
    return undefined;
  }
}

function injectReloadScript(html: string): string {
  const at = html.toLowerCase().lastIndexOf('</body>');
  return at === -1 ? html + LIVE_RELOAD_SCRIPT : html.slice(0, at) + LIVE_RELOAD_SCRIPT + html.slice(at);
}

function send(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = STATUS_CODES[status] ?? '';
  res.writeHead(status, { 'content-type': `text/plain${TEXT}`, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  send(res, 301, { location });
}

function refuseUpgrade(socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

