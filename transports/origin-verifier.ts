import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from '../lib/logger.js';

export interface OriginVerifierOptions {
  /** Extra browser origins allowed to open the socket (`gateway.controlUi.allowedOrigins`), e.g. `https://ops.example.com`. */
  allowedOrigins?: readonly string[];
  /** This machine's name; pages served under it (or `<name>.local`) count as the gateway's own. Default: `os.hostname()`. */
  machineName?: string;
  /** Told (warn) about refused origins, at most once a minute per origin. */
  logger?: Logger;
}

export type OriginVerifier = (origin: string | undefined, req: IncomingMessage) => boolean;

/**
 * Decides which browser pages may open a WebSocket to the gateway (`WebSocketTransportOptions.verifyOrigin`).
 * Non-browser clients send no `Origin` and pass. A browser page passes when its origin is listed
 * in `allowedOrigins`, or when it is the gateway's own origin: the page's host equals the `Host`
 * the socket was opened with, and that host is a name an attacker cannot point at us through DNS
 * (an IP literal, `localhost`, this machine's name, a `*.ts.net` name). The second condition stops
 * DNS rebinding, where evil.example resolves to 127.0.0.1 and its Origin and Host agree.
 */
export function createOriginVerifier(options: OriginVerifierOptions = {}): OriginVerifier {
  const allowed = new Set((options.allowedOrigins ?? []).map(canonicalOrigin).filter((o): o is string => o !== undefined));
  const machine = (options.machineName ?? hostname()).toLowerCase();
  const trustedNames = new Set(['localhost', machine, `${machine}.local`]);
  const report = refusalReporter(options.logger);

  const isOwnOrigin = (canonical: string, req: IncomingMessage): boolean => {
    const url = new URL(canonical);
    const host = firstHeader(req.headers.host)?.toLowerCase();
    if (host === undefined || url.host !== host) return false;
    const name = url.hostname.replace(/^\[|\]$/g, '');
    return isIP(name) !== 0 || trustedNames.has(name) || name.endsWith('.ts.net');
  };

  return (origin, req) => {
    if (origin === undefined) return true;
    const canonical = canonicalOrigin(origin);
    if (canonical === undefined) {
      report(JSON.stringify(origin.slice(0, MAX_LOGGED_ORIGIN)), 'not an http(s) page origin');
      return false;
    }
    if (allowed.has(canonical) || isOwnOrigin(canonical, req)) return true;
    report(canonical, 'not allowed; add it to gateway.controlUi.allowedOrigins to allow it');
    return false;
  };
}

const REPORT_INTERVAL_MS = 60_000;
/** Origins remembered for rate limiting; a flood of distinct ones evicts the oldest. */
const MAX_REPORTED_ORIGINS = 256;
/** The Origin header is attacker-controlled: an unparseable one is quoted and cut short. */
const MAX_LOGGED_ORIGIN = 100;

/** One warn line per origin per interval, so a page retrying in a loop cannot flood the log. */
function refusalReporter(logger: Logger | undefined): (origin: string, why: string) => void {
  const lastReported = new Map<string, number>();
  return (origin, why) => {
    if (!logger) return;
    const now = Date.now();
    const last = lastReported.get(origin);
    if (last !== undefined && now - last < REPORT_INTERVAL_MS) return;
    lastReported.delete(origin);
    if (lastReported.size >= MAX_REPORTED_ORIGINS) lastReported.delete(lastReported.keys().next().value!);
    lastReported.set(origin, now);
    logger.log('warn', 'gateway/ws', `refused WebSocket from origin ${origin}: ${why}`);
  };
}

/** `scheme://host[:port]` in URL's canonical spelling, or undefined for `null` and non-web origins. */
function canonicalOrigin(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
