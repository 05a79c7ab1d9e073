import { mkdir } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CanvasHost, CanvasHostOptions } from '../endpoints/canvas-host.js';
import { bindServers, stopServer } from '../transports/bind-servers.js';
import type { HttpRoute } from '../transports/http.js';

/**
 * The canvas host's port, bound at start, with the canvas host itself (its file server, its
 * live-reload watcher) loaded at the first request or upgrade: a gateway whose canvas nobody
 * opens never loads it. Serves exactly what `CanvasHost.listen()` would.
 */
export class LazyCanvasHost {
  readonly #options: CanvasHostOptions & { port: number; host: string[] };
  readonly #routes: HttpRoute[] = [];
  #servers: Server[] = [];
  #host?: Promise<CanvasHost>;
  /** Set once the module is loaded: routes added later go straight to it. */
  #loaded?: CanvasHost;
  #closed = false;

  constructor(options: CanvasHostOptions & { port: number; host: string[] }) {
    this.#options = options;
  }

  /** Creates the root if needed and binds every host (the first with `port`, the rest on the port it got). */
  async listen(): Promise<{ port: number; hosts: string[] }> {
    await mkdir(this.#options.root, { recursive: true });
    const bound = await bindServers({
      port: this.#options.port,
      hosts: this.#options.host,
      label: 'canvas host',
      onRequest: (req, res) => {
        this.#onRequest(req, res).catch((err: unknown) => {
          this.#options.logger?.log('error', 'canvas', `${req.method} ${(req.url ?? '').split('?')[0]} failed: ${(err as Error).message}`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal Server Error');
          else res.destroy();
        });
      },
      onUpgrade: (req, socket, head) => {
        this.#onUpgrade(req, socket, head).catch(() => socket.destroy());
      },
    });
    this.#servers = bound.servers;
    return { port: bound.port, hosts: bound.hosts };
  }

  /** Another route on the canvas port, tried after the canvas files (see `CanvasHost.addRoute`). */
  addRoute(route: HttpRoute): this {
    this.#routes.push(route);
    this.#loaded?.addRoute(route);
    return this;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#servers.map(stopServer));
    this.#servers = [];
    await (await this.#host?.catch(() => undefined))?.close();
  }

  #canvas(): Promise<CanvasHost> {
    this.#host ??= (async () => {
      const { CanvasHost } = await import('../endpoints/canvas-host.js');
      const host = new CanvasHost(this.#options);
      for (const route of this.#routes) host.addRoute(route);
      this.#loaded = host;
      await host.open();
      return host;
    })().catch((err: unknown) => {
      this.#host = undefined;
      this.#loaded = undefined;
      throw err;
    });
    return this.#host;
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    await (await this.#canvas()).serve(req, res);
  }

  async #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    (await this.#canvas()).serveUpgrade(req, socket, head);
  }
}
