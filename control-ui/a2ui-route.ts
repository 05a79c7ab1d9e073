import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { defaultControlUiAssetsDir } from './control-ui-route.js';
import { GatewayError } from '../lib/errors.js';
import type { Gateway } from '../lib/gateway.js';
import type { Logger } from '../lib/logger.js';
import { systemEventsService } from '../lib/services.js';
import { sendJson, sendText, type HttpRoute } from '../transports/http.js';
import { bearerAuth, header, readJsonBody, retryAfterHeader } from '../transports/http-body.js';
import { formatA2uiActionMessage, parseA2uiUserAction } from './a2ui-action.js';
import { A2UI_PATH } from './a2ui-paths.js';

export interface A2uiRouteOptions {
  /** Runs the agent for actions and checks their credentials. */
  gateway: Gateway;
  /** Directory with the built page (`npm run build:ui`); default: this package's `dist/a2ui`. */
  assetsDir?: string;
  /** Largest action body accepted; default 64 KiB. */
  maxActionBytes?: number;
  logger?: Logger;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const COMMON_HEADERS = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

// Scripts and style sheets only from the page's own origin; agents' images and media may come
// from the web (A2UI Image/Video components name URLs). The renderer sets surface colours and
// fonts through style attributes (lit's styleMap writes the attribute on first render), so those,
// and only those, may be inline: no inline script or <style> element runs. Canvas pages of the
// same origin may frame it.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data: https:; media-src 'self' https:; " +
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'none'; object-src 'none'",
  'x-frame-options': 'SAMEORIGIN',
};

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** `dist/a2ui` of this package, next to the Control UI's build. */
export function defaultA2uiAssetsDir(): string {
  return join(dirname(defaultControlUiAssetsDir()), 'a2ui');
}

/**
 * The A2UI host page (docs/protocol.md, A2UI): `GET /__openclaw__/a2ui/` serves the page and its
 * assets without auth (like the Control UI), `POST /__openclaw__/a2ui/action` takes a user action
 * under the gateway's shared secret and hands it to the agent. Other paths fall through.
 */
export function createA2uiRoute(options: A2uiRouteOptions): HttpRoute {
  const assetsDir = options.assetsDir ?? defaultA2uiAssetsDir();
  let warnedMissing = false;

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = pathOf(req.url);
    if (path === A2UI_PATH) {
      res.writeHead(308, { location: `${A2UI_PATH}/`, ...COMMON_HEADERS }).end();
      return true;
    }
    if (!path.startsWith(`${A2UI_PATH}/`)) return false;
    const rest = path.slice(A2UI_PATH.length + 1);
    if (rest === 'action') {
      await handleAction(req, res, options);
      return true;
    }
    const isPage = rest === '' || rest === 'index.html';
    if (!isPage && !ASSET_NAME.test(rest)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
      return true;
    }
    const file = isPage ? 'index.html' : rest;
    let body: Buffer;
    try {
      body = await readFile(join(assetsDir, file));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR') throw err;
      if (!isPage) return false;
      if (!warnedMissing) options.logger?.log('warn', 'a2ui', `A2UI page assets missing in ${assetsDir}; run npm run build:ui`);
      warnedMissing = true;
      sendText(res, 503, 'The A2UI page is not built. Run `npm run build:ui` and reload.\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': String(body.length),
      ...COMMON_HEADERS,
      ...(isPage ? PAGE_HEADERS : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/**
 * `{ userAction, sessionKey?, host?, instanceId? }` → one agent run in that session (default
 * `main`), with the action as the message upstream's nodes send for it. The action id is the run's
 * idempotency key, so a retried POST never runs the agent twice. Without agent runs on this
 * gateway the message waits in the system event queue for the next heartbeat turn instead.
 */
async function handleAction(req: IncomingMessage, res: ServerResponse, options: A2uiRouteOptions): Promise<void> {
  const { gateway } = options;
  if (req.method !== 'POST') {
    sendText(res, 405, 'Method Not Allowed', { allow: 'POST' });
    return;
  }
  const auth = bearerAuth(req, gateway);
  if (!auth.ok) {
    const error = auth.status === 429 ? { message: 'Too many failed authentication attempts', type: 'rate_limited' } : { message: 'Unauthorized', type: 'unauthorized' };
    sendJson(res, auth.status, { ok: false, error }, retryAfterHeader(auth));
    return;
  }
  // A page on another site must not click for the user: browsers send Origin with every cross-site POST.
  const origin = header(req, 'origin');
  if (origin !== undefined && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`) {
    sendJson(res, 403, { ok: false, error: { message: 'cross-origin A2UI actions are refused', type: 'forbidden' } });
    return;
  }
  const parsed = await readJsonBody(req, res, options.maxActionBytes ?? 65_536);
  if (!parsed.ok) {
    if (parsed.reason === 'too_large') sendJson(res, 413, { ok: false, error: { message: 'payload too large', type: 'invalid_request_error' } });
    else if (parsed.reason === 'invalid_json') sendJson(res, 400, { ok: false, error: { message: parsed.message, type: 'invalid_request_error' } });
    else res.destroy();
    return;
  }
  try {
    const body = (typeof parsed.value === 'object' && parsed.value !== null ? parsed.value : {}) as Record<string, unknown>;
    const action = parseA2uiUserAction(body.userAction);
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : undefined);
    const sessionKey = str(body.sessionKey) ?? 'main';
    const message = formatA2uiActionMessage({ action, sessionKey, host: str(body.host), instanceId: str(body.instanceId) });
    options.logger?.log('info', 'a2ui', `action ${action.name} from surface ${action.surfaceId} → session ${sessionKey}`);
    if (!gateway.methods().includes('agent')) {
      gateway.optionalService(systemEventsService)?.enqueue(message);
      sendJson(res, 202, { ok: true, queued: true, sessionKey });
      return;
    }
    const runId = await startActionRun(gateway, { message, sessionKey, idempotencyKey: `a2ui:${action.id}` }, options.logger);
    sendJson(res, 202, { ok: true, runId, sessionKey });
  } catch (err) {
    const status = err instanceof GatewayError && err.code === 'INVALID_REQUEST' ? 400 : 500;
    sendJson(res, status, { ok: false, error: { message: (err as Error).message, type: status === 400 ? 'invalid_request_error' : 'api_error' } });
  }
}

/** Resolves once the run was accepted; its end is the agent's business (it may update the canvas). */
async function startActionRun(gateway: Gateway, run: { message: string; sessionKey: string; idempotencyKey: string }, logger?: Logger): Promise<string> {
  let acceptedResolve!: (runId: string) => void;
  const accepted = new Promise<string>((resolve) => (acceptedResolve = resolve));
  const finished = gateway.call('agent', { ...run, deliver: false, label: 'A2UI action' }, (ack) => acceptedResolve(ack.runId));
  // A failure before the accepted ack (bad params, no model) is the caller's answer.
  const first = await Promise.race([accepted, finished]);
  finished.catch((err: unknown) => logger?.log('warn', 'a2ui', `action run failed: ${(err as Error).message}`));
  return typeof first === 'string' ? first : first.runId;
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.search(/[?#]/);
  return query === -1 ? raw : raw.slice(0, query);
}
