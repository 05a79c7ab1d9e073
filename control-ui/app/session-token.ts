const STORAGE_KEY = 'openclaw.controlUi.token';

/**
 * The shared gateway token for this tab. The dashboard link carries it in the URL fragment
 * (`#token=…`), which browsers never send to a server; it moves to sessionStorage at once and the
 * address bar is cleaned so it does not end up in bookmarks, history or screenshots.
 */
export class SessionToken {
  readonly #storage: Storage;

  constructor(storage: Storage = sessionStorage) {
    this.#storage = storage;
  }

  /** Moves a `#token=` fragment into storage and strips it from the current URL. */
  adoptFromFragment(loc: Location = location, hist: History = history): void {
    if (!loc.hash.startsWith('#')) return;
    const params = new URLSearchParams(loc.hash.slice(1));
    const token = params.get('token');
    if (token === null) return;
    if (token.trim()) this.set(token.trim());
    params.delete('token');
    const rest = params.toString();
    hist.replaceState(hist.state, '', `${loc.pathname}${loc.search}${rest ? `#${rest}` : ''}`);
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
