import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { GatewayError } from '../errors.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export type ProviderFailure = 'auth' | 'rate_limit' | 'unreachable' | 'timeout' | 'upstream' | 'bad_request' | 'aborted';

/** Transport settings every HTTP provider shares. */
export interface ProviderHttpOptions {
  /** Injected for tests and custom agents; defaults to the global fetch. */
  fetch?: typeof fetch;
  clock?: Clock;
  /** Time allowed until the response headers arrive (a local server may be loading the model). Default 120 s. */
  requestTimeoutMs?: number;
  /** Longest silence allowed between two chunks of a streamed reply. Default 120 s. */
  idleTimeoutMs?: number;
}

export interface ProviderStreamRequest {
  provider: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
}

const MAX_ERROR_BODY = 64 * 1024;

/** A provider failure, worded for the operator, with the reason machine-readable in details. */
export function providerError(provider: string, reason: ProviderFailure, message: string, extra: { status?: number; retryAfterMs?: number; cause?: unknown } = {}): GatewayError {
  const retryable = reason === 'rate_limit' || reason === 'upstream' || reason === 'timeout' || reason === 'unreachable';
  return new GatewayError('UNAVAILABLE', message, {
    details: { provider, reason, ...(extra.status === undefined ? {} : { status: extra.status }) },
    retryable,
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    cause: extra.cause,
  });
}

/**
 * POSTs a streaming request and yields its Server-Sent Events as they arrive. HTTP and network
 * failures become provider errors that say what went wrong (bad key, rate limit with
 * `retryAfterMs`, unreachable host, timeout); aborting `signal` stops the download.
 */
export async function* streamProviderEvents(request: ProviderStreamRequest, options: ProviderHttpOptions = {}): AsyncGenerator<SseEvent> {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  const requestTimeoutMs = options.requestTimeoutMs ?? 120_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const { provider } = request;
  const host = safeOrigin(request.url);

  const controller = new AbortController();
  let timedOut: string | undefined;
  let timer: TimerHandle | undefined;
  const arm = (ms: number, what: string) => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = clock.setTimeout(() => {
      timedOut = what;
      controller.abort();
    }, ms);
  };
  const onAbort = () => controller.abort();
  if (request.signal?.aborted) throw providerError(provider, 'aborted', `${provider} request aborted`);
  request.signal?.addEventListener('abort', onAbort, { once: true });

  const failure = (err: unknown): GatewayError => {
    if (request.signal?.aborted) return providerError(provider, 'aborted', `${provider} request aborted`, { cause: err });
    if (timedOut) return providerError(provider, 'timeout', `${provider} timed out: ${timedOut}`, { cause: err });
    if (err instanceof GatewayError) return err;
    const code = (err as { cause?: { code?: string } })?.cause?.code;
    const why = code ?? (err as Error)?.message ?? String(err);
    return providerError(provider, 'unreachable', `${provider} is unreachable at ${host}: ${why}`, { cause: err });
  };

  try {
    arm(requestTimeoutMs, `no response from ${host} within ${requestTimeoutMs} ms`);
    let response: Response;
    try {
      response = await fetchFn(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...request.headers },
        body: JSON.stringify(request.body),
        signal: controller.signal,
      });
    } catch (err) {
      throw failure(err);
    }
    if (!response.ok) {
      const text = await readCapped(response).catch(() => '');
      throw httpFailure(provider, host, response, text);
    }
    if (!response.body) throw providerError(provider, 'upstream', `${provider} sent an empty response`, { status: response.status });

    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        arm(idleTimeoutMs, `the reply stalled for ${idleTimeoutMs} ms`);
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw failure(err);
        }
        if (chunk.done) {
          for (const event of parser.feed(decoder.decode())) yield event;
          for (const event of parser.end()) yield event;
          return;
        }
        for (const event of parser.feed(decoder.decode(chunk.value, { stream: true }))) yield event;
        if (request.signal?.aborted) throw failure(new Error('aborted'));
      }
    } finally {
      // Ends the download when the consumer stops early (abort, error, break).
      reader.cancel().catch(() => undefined);
    }
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

function httpFailure(provider: string, host: string, response: Response, body: string): GatewayError {
  const status = response.status;
  const detail = upstreamMessage(body);
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    return providerError(provider, 'auth', `${provider} rejected the API key (HTTP ${status})${suffix}; check models.providers.${provider}.apiKey`, { status });
  }
  if (status === 429) {
    const retryAfterMs = retryAfter(response.headers);
    const wait = retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(retryAfterMs / 1000)} s`;
    return providerError(provider, 'rate_limit', `${provider} rate limit reached (HTTP 429)${suffix}${wait}`, { status, retryAfterMs });
  }
  if (status >= 500) {
    return providerError(provider, 'upstream', `${provider} failed at ${host} (HTTP ${status})${suffix}`, { status, retryAfterMs: retryAfter(response.headers) });
  }
  return providerError(provider, 'bad_request', `${provider} refused the request (HTTP ${status})${suffix}`, { status });
}

/** `{"error":{"message":...}}` (OpenAI, Anthropic) or `{"error":"..."}`/`{"message":...}` (others), else the text. */
export function upstreamMessage(body: string): string {
  const text = body.trim();
  if (!text) return '';
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown } | string | null;
    if (typeof parsed === 'string') return parsed;
    if (!parsed || typeof parsed !== 'object') return text;
    const error = parsed.error;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the raw text (an HTML error page, a proxy message) is still the best clue.
  }
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date. */
export function retryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length > MAX_ERROR_BODY) break;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Joins a base URL and a path without doubling or dropping slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** JSON payload of an SSE event, or a provider error naming what arrived instead. */
export function parseEventJson(provider: string, event: SseEvent): Record<string, unknown> {
  try {
    const value = JSON.parse(event.data) as unknown;
    if (value && typeof value === 'object') return value as Record<string, unknown>;
  } catch {
    // Reported below with the offending text.
  }
  throw providerError(provider, 'upstream', `${provider} sent an unreadable stream event: ${event.data.slice(0, 200)}`);
}
