import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';

/**
 * One HTTP route family: returns true when it handled (or started handling) the request, false to
 * let the next route try. Routes run in registration order (docs/protocol.md, HTTP surface).
 */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface HttpRouterOptions {
  logger?: Logger;
  /** Requests no route takes; default 404 `Not Found`. */
  notFound?: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * The gateway's HTTP surface as a plain Node `(req, res)` handler: hosts mount it on their own
 * server, or hand it to `WebSocketTransport({ requestHandler })` so HTTP and WS share one port.
 */
export class HttpRouter {
  readonly #routes: HttpRoute[] = [];
  readonly #logger?: Logger;
  readonly #notFound: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(options: HttpRouterOptions = {}) {
    this.#logger = options.logger;
    this.#notFound = options.notFound ?? ((_req, res) => sendText(res, 404, 'Not Found'));
  }

  add(route: HttpRoute): this {
    this.#routes.push(route);
    return this;
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#dispatch(req, res).catch((err: unknown) => {
      // The path only: a query string may carry a token (`/?token=…` dashboard links).
      this.#logger?.log('error', 'gateway/http', `${req.method} ${(req.url ?? '').split('?')[0]} failed: ${(err as Error).message}`);
      if (!res.headersSent) sendText(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  };

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const route of this.#routes) {
      if (await route(req, res)) return;
    }
    this.#notFound(req, res);
  }
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
