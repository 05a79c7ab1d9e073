import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * An async request handler for a test's local HTTP server. A handler that throws (a bug in the
 * stand-in, or a client that hung up mid-body) prints why and drops the connection, so the code
 * under test sees a broken upstream and the test output names the cause.
 */
export function asyncHandler(name: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error(`${name} failed on ${req.method} ${req.url}:`, err);
      res.destroy();
    });
  };
}
