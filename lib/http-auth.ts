import { sourceKey, type AuthRateLimiter } from './auth-rate-limiter.js';
import { resolveClientIp, type PeerRequest } from './is-local-peer.js';

export type HttpAuthResult = { ok: true } | { ok: false; status: 401 | 429; retryAfterMs?: number };

export interface HttpAuthInput {
  /** The request as the socket saw it; forwarded headers count only from a trusted proxy. */
  request: PeerRequest;
  /** The presented secret, if any. */
  secret: string | undefined;
  /** Whether the secret is the right one (compared in constant time by the caller's check). */
  matches(secret: string): boolean;
  limiter: AuthRateLimiter | undefined;
}

/**
 * One HTTP secret check under the brute-force limits: 429 while the client's address is blocked
 * (its secret is not even compared), 401 for a missing or wrong secret. Only a wrong secret counts
 * as a failure; the limits are per client address (behind a trusted proxy, the forwarded one).
 */
export function authorizeHttp({ request, secret, matches, limiter }: HttpAuthInput): HttpAuthResult {
  const address = resolveClientIp(request);
  const attempt = limiter && address ? { keys: [sourceKey(address)] } : undefined;
  if (attempt) {
    const limit = limiter!.check(attempt);
    if (!limit.ok) return { ok: false, status: 429, retryAfterMs: limit.retryAfterMs };
  }
  if (secret === undefined) return { ok: false, status: 401 };
  if (!matches(secret)) return { ok: false, status: 401, ...(attempt ? { retryAfterMs: limiter!.failed(attempt) } : {}) };
  if (attempt) limiter!.succeeded(attempt);
  return { ok: true };
}
