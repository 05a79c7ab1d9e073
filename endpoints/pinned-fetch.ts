import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';

export interface PinnedFetchInit {
  signal: AbortSignal;
  headers: Record<string, string>;
  /** The address the connection goes to, checked by the caller: the name is not resolved again. */
  address: string;
}

/**
 * A GET of `url` whose connection goes to `address` (one the caller already checked), never to
 * whatever a second DNS answer says: what stops a rebinding resolver from turning a checked public
 * name into a private address. TLS still verifies the certificate against the URL's host name.
 * Redirects are not followed (the caller checks each hop).
 */
export function pinnedFetch(url: string, init: PinnedFetchInit): Promise<Response> {
  const target = new URL(url);
  const family = isIP(init.address) === 6 ? 6 : 4;
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (err: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: init.address, family }]);
    else callback(null, init.address, family);
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const req = send(target, { method: 'GET', headers: init.headers, signal: init.signal, lookup }, (res: IncomingMessage) => {
      // The server is the caller's choice: whatever it answers becomes an error, never a throw here.
      try {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 599) throw new Error(`unusable HTTP status ${status}`);
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else if (value !== undefined) headers.set(name, value);
        }
        // A body is not allowed on some statuses; its bytes (if any) are dropped.
        const empty = status === 204 || status === 205 || status === 304;
        const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        if (empty) res.resume();
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers }));
      } catch (err) {
        res.destroy();
        reject(err);
      }
    });
    req.once('error', reject);
    req.end();
  });
}
