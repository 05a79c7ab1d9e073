const STORAGE_KEY = 'openclaw.controlUi.token';

/**
 * The shared gateway token for this tab. Our dashboard link carries it in the URL fragment
 * (`#token=…`), which browsers never send to a server; upstream OpenClaw's link carries it in the
 * query (`?token=…`). Either way it moves to sessionStorage at once and the address bar is cleaned
 * so it does not end up in bookmarks, history or screenshots.
 */
export class SessionToken {
  readonly #storage: Storage;

  constructor(storage: Storage = sessionStorage) {
    this.#storage = storage;
  }

  /**
   * Moves a `?token=` or `#token=` into storage (the fragment wins when both are there) and strips
   * both from the current URL, keeping the path and every other parameter.
   */
  adoptFromUrl(loc: Location = location, hist: History = history): void {
    const query = withoutToken(loc.search, '?');
    const fragment = withoutToken(loc.hash, '#');
    if (query === undefined && fragment === undefined) return;
    const token = [fragment?.token, query?.token].find((t) => t !== undefined && t !== '');
    if (token !== undefined) this.set(token);
    hist.replaceState(hist.state, '', `${loc.pathname}${query?.rest ?? loc.search}${fragment?.rest ?? loc.hash}`);
  }

  get(): string | undefined {
    return this.#storage.getItem(STORAGE_KEY) ?? undefined;
  }

  set(token: string): void {
    this.#storage.setItem(STORAGE_KEY, token);
  }

  clear(): void {
    this.#storage.removeItem(STORAGE_KEY);
  }
}

/**
 * The socket URL: always the origin (and base path) that served this page. Nothing in the URL can
 * point the UI, and with it the token, at another host.
 */
export function gatewaySocketUrl(loc: Location = location, baseUri: string = document.baseURI): string {
  const base = new URL(baseUri);
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  // Only the path of the base is used; the host is the page's own.
  return `${scheme}//${loc.host}${base.origin === loc.origin ? base.pathname : '/'}`;
}

/**
 * `?a=1&token=x` as `{ token: 'x', rest: '?a=1' }`; undefined when there is no token parameter, so
 * a part without one (`#main`) is left exactly as it was.
 */
function withoutToken(part: string, prefix: '?' | '#'): { token: string; rest: string } | undefined {
  if (!part.startsWith(prefix)) return undefined;
  const params = new URLSearchParams(part.slice(1));
  const token = params.get('token');
  if (token === null) return undefined;
  params.delete('token');
  const rest = params.toString();
  return { token: token.trim(), rest: rest ? `${prefix}${rest}` : '' };
}
