import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../lib/gateway.js';
import type { HttpAuthResult } from '../lib/http-auth.js';

export type BodyResult = { ok: true; text: string } | { ok: false; reason: 'too_large' | 'aborted' };
export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; reason: 'too_large' | 'aborted' | 'invalid_json'; message: string };

/** After the limit, a sender may finish this much more (discarded) so it can read our 413. */
const DRAIN_BYTES = 1024 * 1024;

/**
 * Reads a request body up to `maxBytes`, counting while reading: nothing beyond the limit is
 * kept. An oversize body is drained (up to 1 MiB more, discarded) so the client sees the 413;
 * a bigger one gets `Connection: close` and its socket is dropped after the reply.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      resolve(result);
    };
    const giveUp = () => {
      res.setHeader('connection', 'close');
      res.once('finish', () => req.destroy());
      req.resume();
      finish({ ok: false, reason: 'too_large' });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      if (size > maxBytes + DRAIN_BYTES) giveUp();
    };
    const onEnd = () => finish(size > maxBytes ? { ok: false, reason: 'too_large' } : { ok: true, text: Buffer.concat(chunks).toString('utf8') });
    const onError = () => finish({ ok: false, reason: 'aborted' });
    const onAborted = () => finish({ ok: false, reason: 'aborted' });
    if (Number.isFinite(declared) && declared > maxBytes + DRAIN_BYTES) {
      giveUp();
      return;
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** `readBody` + JSON.parse; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<JsonBodyResult> {
  const body = await readBody(req, res, maxBytes);
  if (!body.ok) return { ...body, message: body.reason === 'too_large' ? 'payload too large' : 'request aborted' };
  if (!body.text.trim()) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(body.text) as unknown };
  } catch (err) {
    return { ok: false, reason: 'invalid_json', message: `invalid JSON body: ${(err as Error).message}` };
  }
}

/**
 * `Authorization: Bearer <secret>` checked as the gateway token or password (docs/protocol.md, HTTP
 * auth), under the gateway's brute-force limits.
 */
export function bearerAuth(req: IncomingMessage, gateway: Pick<Gateway, 'authorizeHttp'>): HttpAuthResult {
  return gateway.authorizeHttp({ remoteAddress: req.socket.remoteAddress, headers: req.headers }, bearerToken(req));
}

/** The `Retry-After` header (whole seconds) of a refused auth attempt, if it has to wait. */
export function retryAfterHeader(result: { retryAfterMs?: number }): Record<string, string> {
  return result.retryAfterMs ? { 'retry-after': String(Math.ceil(result.retryAfterMs / 1000)) } : {};
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match ? match[1]!.trim() : undefined;
}

/** The request path without its query, or undefined when the URL is unusable. */
export function requestPath(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/** The first value of a header. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}

/** Starts a Server-Sent Events response. */
export function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  res.flushHeaders();
}

/** Runs `onClose` when the client goes away before the response finished. */
export function onClientGone(res: ServerResponse, onClose: () => void): () => void {
  const listener = () => {
    if (!res.writableFinished) onClose();
  };
  res.on('close', listener);
  return () => res.off('close', listener);
}
