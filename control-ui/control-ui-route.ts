import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../lib/logger.js';
import { CONTROL_UI_VIEWS } from './app/views.js';
import { normalizeControlUiBasePath } from './control-ui-paths.js';
import { sendText, type HttpRoute } from '../transports/http.js';
import { PACKAGE_NAME } from '../lib/package-name.js';

export interface ControlUiRouteOptions {
  /** URL prefix such as `/openclaw` (`gateway.controlUi.basePath`); default: the root. */
  basePath?: string;
  /** Directory with the built app (`npm run build:ui`); default: this package's `dist/control-ui`. */
  assetsDir?: string;
  /**
   * Another single-page app in `assetsDir` (`gateway.controlUi.root`, e.g. upstream's own Control
   * UI): assets in subdirectories, and every extension-less path is the page (its client routes).
   */
  customApp?: boolean;
  logger?: Logger;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

// The page only ever talks to the origin that served it; nothing may frame it (clickjacking).
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'x-frame-options': 'DENY',
};

/**
 * Another build (upstream's app) styles inline, loads web fonts and remote images, fetches its own
 * data: icons, and may bootstrap with inline scripts: those run only when their exact text is the
 * page's (CSP hashes), so an injected script still does not. Connections stay same-origin and
 * framing stays refused.
 */
function customAppPageHeaders(page: string): Record<string, string> {
  const hashes = inlineScripts(page).map((text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
  return {
    ...PAGE_HEADERS,
    'content-security-policy':
      `default-src 'self'; script-src 'self'${hashes.map((h) => ` ${h}`).join('')}; style-src 'self' 'unsafe-inline' https:; font-src 'self' https: data:; ` +
      "img-src 'self' data: https:; connect-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  };
}

/** The bodies of a page's inline `<script>` elements (those without `src`), exactly as written. */
function inlineScripts(page: string): string[] {
  const out: string[] = [];
  for (const m of page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (!/\ssrc\s*=/i.test(` ${m[1]}`)) out.push(m[2]!);
  }
  return out;
}

const COMMON_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const BASE_TAG = '<base href="/">';
const VIEW_IDS: ReadonlySet<string> = new Set(CONTROL_UI_VIEWS.map((v) => v.id));

/** `dist/control-ui` of this package this file belongs to, run from source (tsx) or from `dist/`. */
export function defaultControlUiAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === PACKAGE_NAME) {
        return join(dir, 'dist', 'control-ui');
      }
    } catch {
      // No (readable) package.json here; keep walking up.
    }
  }
  return join(here, '..', 'dist', 'control-ui');
}

/**
 * Serves the built Control UI: the SPA at the base path and at each view's path, its assets by
 * name. Other paths fall through to the next route. No auth here: the page authenticates in its
 * WebSocket handshake (docs/protocol.md, Control UI).
 */
export function createControlUiRoute(options: ControlUiRouteOptions = {}): HttpRoute {
  const base = normalizeControlUiBasePath(options.basePath);
  const assetsDir = options.assetsDir ?? defaultControlUiAssetsDir();
  let warnedMissing = false;

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = pathOf(req.url);
    if (base !== '' && path === base) {
      res.writeHead(308, { location: `${base}/`, ...COMMON_HEADERS }).end();
      return true;
    }
    if (!path.startsWith(`${base}/`)) return false;
    const rest = path.slice(base.length + 1);
    const isPage = rest === '' || (options.customApp ? isClientRoute(rest) : VIEW_IDS.has(rest));
    if (!isPage && !(options.customApp ? isAssetPath(rest) : ASSET_NAME.test(rest))) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!isPage) return false;
      sendText(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
      return true;
    }
    const file = isPage ? 'index.html' : rest;
    let body: Buffer;
    try {
      body = await readFile(join(assetsDir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
      if (!isPage) return false;
      if (!warnedMissing) options.logger?.log('warn', 'gateway/control-ui', `Control UI assets missing in ${assetsDir}; run npm run build:ui`);
      warnedMissing = true;
      // The page is public: the directory goes to the log, not to whoever asked.
      sendText(res, 503, 'Control UI assets are not built. Run `npm run build:ui` and reload.\n');
      return true;
    }
    let pageHeaders: Record<string, string> = {};
    if (isPage) {
      const page = body.toString('utf8').replace(BASE_TAG, `<base href="${base}/">`);
      body = Buffer.from(page, 'utf8');
      pageHeaders = options.customApp ? customAppPageHeaders(page) : PAGE_HEADERS;
    }
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'content-type': type,
      'content-length': String(body.length),
      ...COMMON_HEADERS,
      ...pageHeaders,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}

/** A path of a custom app's client-side router: segments without a file extension. */
function isClientRoute(rest: string): boolean {
  return rest.split('/').every((segment) => /^[A-Za-z0-9_-]*$/.test(segment));
}

/** `assets/index-x.js`: safe segments only, so nothing outside the assets directory is reachable. */
function isAssetPath(rest: string): boolean {
  return rest.split('/').every((segment) => ASSET_NAME.test(segment) && !segment.startsWith('.'));
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.search(/[?#]/);
  return query === -1 ? raw : raw.slice(0, query);
}
