import type { HttpRoute } from '../transports/http.js';

/**
 * An HTTP route whose module is loaded at the first request it may take: `mayTake` sees the
 * request path as sent and as a URL parser normalizes it (routes read one or the other) and must
 * say yes to every path the route serves; saying yes to more only loads the module early. Routes
 * a gateway never serves cost nothing at start or idle.
 */
export function lazyRoute(mayTake: (path: string) => boolean, load: () => Promise<HttpRoute>): HttpRoute {
  let route: Promise<HttpRoute> | undefined;
  return async (req, res) => {
    if (!route) {
      const raw = rawPath(req.url ?? '/');
      if (!mayTake(raw) && !mayTake(normalizedPath(req.url ?? '/') ?? raw)) return false;
      // A failed load is not kept: the next request tries again (and this one gets the 500).
      route = load().catch((err: unknown) => {
        route = undefined;
        throw err;
      });
    }
    return (await route)(req, res);
  };
}

function rawPath(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function normalizedPath(url: string): string | undefined {
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}
