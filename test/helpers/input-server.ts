import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tinyPdf } from './tiny-pdf.js';

/** The bytes of a 1×1 PNG. */
export const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/**
 * A stand-in for the web servers `/v1/responses` URL inputs come from, on 127.0.0.1: an image,
 * a PDF, redirect chains, a response that never comes, an endless body, and a wrong content type.
 */
export class InputServer {
  url = '';
  /** Bytes `/big` wrote before the client went away. */
  bigBytesSent = 0;
  readonly pdf = tinyPdf(['Quarterly report: revenue grew in every region.', 'Page two lists the regions.', 'Page three is an appendix.']);
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req.url ?? '/', res));
  }

  static async start(): Promise<InputServer> {
    const s = new InputServer();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.#server.address() as AddressInfo).port}`;
    return s;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(path: string, res: ServerResponse): void {
    const redirect = /^\/r\/(\d+)$/.exec(path);
    if (redirect) {
      const n = Number(redirect[1]);
      res.writeHead(302, { location: n > 0 ? `/r/${n - 1}` : '/img.png' }).end();
    } else if (path === '/img.png') {
      res.writeHead(200, { 'content-type': 'image/png' }).end(PNG_1X1);
    } else if (path === '/doc.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' }).end(this.pdf);
    } else if (path === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<p>hi</p>');
    } else if (path === '/to-internal') {
      res.writeHead(301, { location: 'http://internal.test/img.png' }).end();
    } else if (path === '/slow') {
      // Never answers: the client's deadline has to end it.
    } else if (path === '/big') {
      // No content-length: only a streamed count can stop it.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024, 1);
      const pump = () => {
        while (this.bigBytesSent < 50 * 1024 * 1024 && !res.destroyed) {
          this.bigBytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    } else {
      res.writeHead(404).end();
    }
  }
}
