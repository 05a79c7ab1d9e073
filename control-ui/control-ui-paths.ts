import { GatewayError } from '../lib/errors.js';

export interface DashboardUrlInput {
  /** The address the gateway listens on; wildcard binds are shown as 127.0.0.1. */
  host: string;
  port: number;
  basePath?: string;
  /** Carried in the URL fragment, which browsers never send to any server. */
  token?: string;
}

/**
 * `gateway.controlUi.basePath` as a clean prefix: "" for the root, else `/a/b` without a trailing
 * slash. Anything that could break out of an HTML attribute or a path is refused.
 */
export function normalizeControlUiBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  const withSlash = trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(withSlash) || withSlash.split('/').some((s) => s === '.' || s === '..')) {
    throw new GatewayError(
      'CONFIG_INVALID',
      `gateway.controlUi.basePath must look like /path/to/ui (letters, digits, . _ ~ -), got ${JSON.stringify(basePath)}`,
    );
  }
  return withSlash;
}

/** The link the gateway prints at start; the token rides in the fragment, never the query. */
export function controlUiDashboardUrl(input: DashboardUrlInput): string {
  const wildcard = input.host === '0.0.0.0' || input.host === '::';
  const host = wildcard ? '127.0.0.1' : input.host.includes(':') ? `[${input.host}]` : input.host;
  const base = normalizeControlUiBasePath(input.basePath);
  const fragment = input.token ? `#token=${encodeURIComponent(input.token)}` : '';
  return `http://${host}:${input.port}${base}/${fragment}`;
}
