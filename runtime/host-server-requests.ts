import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { sendText } from '../transports/http.js';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The gateway's HTTP routes on a server the host owns: its `request` listeners are taken aside
 * while attached, the gateway's handler goes first, and what no gateway route takes reaches the
 * host's listeners as before. `detach()` gives the server back as it was.
 */
export class HostServerRequests {
  readonly #server: HttpServer | HttpsServer;
  readonly #handle: (req: IncomingMessage, res: ServerResponse) => boolean;
  #hostListeners?: RequestListener[];
  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!this.#handle(req, res)) this.fallThrough(req, res);
  };

  /** `handle` serves a request through the gateway's router, or returns false when none runs. */
  constructor(server: HttpServer | HttpsServer, handle: (req: IncomingMessage, res: ServerResponse) => boolean) {
    this.#server = server;
    this.#handle = handle;
  }

  attach(): void {
    if (this.#hostListeners) return;
    this.#hostListeners = this.#server.listeners('request') as RequestListener[];
    this.#server.removeAllListeners('request');
    this.#server.on('request', this.#onRequest);
  }

  /** Hands a request to the host's own listeners; 404 when it has none. */
  fallThrough(req: IncomingMessage, res: ServerResponse): void {
    const listeners = this.#hostListeners ?? [];
    if (listeners.length === 0) return sendText(res, 404, 'Not Found');
    for (const listener of listeners) listener.call(this.#server, req, res);
  }

  detach(): void {
    if (!this.#hostListeners) return;
    this.#server.off('request', this.#onRequest);
    for (const listener of this.#hostListeners) this.#server.on('request', listener);
    this.#hostListeners = undefined;
  }
}
