import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { safeEqual } from '../lib/safe-equal.js';
import { GatewayError } from '../lib/errors.js';
import type { Gateway } from '../lib/gateway.js';
import type { Logger } from '../lib/logger.js';
import { systemEventsService } from '../lib/services.js';
import { statelessSessionKey } from '../lib/sessions/session-keys.js';
import type { HttpRoute } from '../transports/http.js';
import { sendJson, sendText } from '../transports/http.js';
import { bearerToken, header, readJsonBody, retryAfterHeader } from '../transports/http-body.js';

/** One `hooks.mappings` rule: which requests it takes and what it turns them into. */
export interface HookMapping {
  id?: string;
  match?: { path?: string; source?: string };
  action?: 'wake' | 'agent';
  /** `{{field.path}}` placeholders are filled from the JSON body. */
  messageTemplate?: string;
  textTemplate?: string;
  name?: string;
  sessionKey?: string;
  wakeMode?: 'now' | 'next-heartbeat';
  deliver?: boolean;
  channel?: string;
  to?: string;
  model?: string;
  thinking?: string;
  timeoutSeconds?: number;
}

export interface HooksRouteOptions {
  gateway: Gateway;
  logger?: Logger;
  /** `hooks.token`: required. */
  token: string;
  /** `hooks.path`, default `/hooks` (`/` is refused). */
  path?: string;
  /** `hooks.maxBodyBytes`, default 262144. */
  maxBodyBytes?: number;
  mappings?: HookMapping[];
}

type Json = Record<string, unknown>;

/**
 * Inbound webhooks (docs/protocol.md, Hooks) under their own token: `POST <base>/wake` queues a system
 * event, `POST <base>/agent` starts an agent run (202) whose reply is summarised into the main
 * session, and `POST <base>/<name>` goes through `hooks.mappings`.
 */
export function createHooksRoute(options: HooksRouteOptions): HttpRoute {
  const base = normalizeBasePath(options.path ?? '/hooks');
  if (!options.token) throw new GatewayError('CONFIG_INVALID', 'hooks.enabled is true but hooks.token is not set; set hooks.token to a long random secret');
  const maxBodyBytes = options.maxBodyBytes ?? 262_144;
  const { gateway } = options;
  let warnedQueryToken = false;

  return async (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return false;
    }
    if (url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return false;

    // A secret in the URL ends up in proxy and access logs and browser history: refused outright.
    if (url.searchParams.has('token')) {
      if (!warnedQueryToken) options.logger?.log('warn', 'hooks', 'refused a hook token passed as ?token=; senders must use Authorization: Bearer or x-openclaw-token');
      warnedQueryToken = true;
      sendText(res, 400, 'Hook tokens in the query string are refused: send Authorization: Bearer <token> or x-openclaw-token.\n');
      return true;
    }
    const presented = bearerToken(req) ?? header(req, 'x-openclaw-token');
    const auth = gateway.authorizeHttp({ remoteAddress: req.socket.remoteAddress, headers: req.headers }, presented, (s) => safeEqual(s, options.token));
    if (!auth.ok) {
      sendText(res, auth.status, auth.status === 429 ? 'Too Many Requests' : 'Unauthorized', retryAfterHeader(auth));
      return true;
    }
    if (req.method !== 'POST') {
      sendText(res, 405, 'Method Not Allowed', { allow: 'POST' });
      return true;
    }
    const name = url.pathname.slice(base.length).replace(/^\/+|\/+$/g, '');
    if (!name) {
      sendText(res, 404, 'Not Found');
      return true;
    }
    const parsed = await readJsonBody(req, res, maxBodyBytes);
    if (!parsed.ok) {
      if (parsed.reason === 'too_large') sendJson(res, 413, { ok: false, error: 'payload too large' });
      else if (parsed.reason === 'invalid_json') sendJson(res, 400, { ok: false, error: parsed.message });
      else res.destroy();
      return true;
    }
    if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      sendJson(res, 400, { ok: false, error: 'body must be a JSON object' });
      return true;
    }
    const body = parsed.value as Json;
    try {
      if (name === 'wake') return await wake(res, gateway, body);
      if (name === 'agent') return await agent(res, gateway, body);
      const mapping = options.mappings?.find((m) => (m.match?.path ?? m.id) === name || (m.match?.source !== undefined && body.source === m.match.source));
      if (!mapping) {
        sendText(res, 404, 'Not Found');
        return true;
      }
      return await mapped(res, gateway, mapping, name, body);
    } catch (err) {
      const status = err instanceof GatewayError && err.code === 'INVALID_REQUEST' ? 400 : 500;
      sendJson(res, status, { ok: false, error: (err as Error).message });
      return true;
    }
  };
}

function normalizeBasePath(path: string): string {
  const trimmed = `/${path.trim().replace(/^\/+|\/+$/g, '')}`;
  if (trimmed === '/') throw new GatewayError('CONFIG_INVALID', 'hooks.path must not be "/"; use a prefix such as /hooks');
  return trimmed;
}

async function wake(res: ServerResponse, gateway: Gateway, body: Json): Promise<true> {
  const text = typeof body.text === 'string' ? body.text.trim() : '';
  if (!text) throw new GatewayError('INVALID_REQUEST', 'text required');
  const mode = body.mode ?? 'now';
  if (mode !== 'now' && mode !== 'next-heartbeat') throw new GatewayError('INVALID_REQUEST', 'mode must be "now" or "next-heartbeat"');
  // With heartbeats, `now` runs one at once; without, the text just waits in the queue.
  if (gateway.methods().includes('wake')) await gateway.call('wake', { mode, text });
  else enqueueSystemEvent(gateway, text);
  sendJson(res, 200, { ok: true, mode });
  return true;
}

async function agent(res: ServerResponse, gateway: Gateway, body: Json): Promise<true> {
  const message = typeof body.message === 'string' ? body.message.trim() : '';
  if (!message) throw new GatewayError('INVALID_REQUEST', 'message required');
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const runId = await startHookRun(gateway, {
    message,
    name: str(body.name) ?? 'Hook',
    sessionKey: str(body.sessionKey),
    deliver: body.deliver === undefined ? true : body.deliver === true,
    channel: str(body.channel),
    to: str(body.to),
    model: str(body.model),
    thinking: str(body.thinking),
    timeoutSeconds: typeof body.timeoutSeconds === 'number' && body.timeoutSeconds > 0 ? Math.floor(body.timeoutSeconds) : undefined,
  });
  sendJson(res, 202, { ok: true, runId });
  return true;
}

async function mapped(res: ServerResponse, gateway: Gateway, mapping: HookMapping, name: string, body: Json): Promise<true> {
  if ((mapping.action ?? 'agent') === 'wake') {
    return await wake(res, gateway, { text: render(mapping.textTemplate ?? mapping.messageTemplate ?? '{{text}}', body), mode: mapping.wakeMode ?? 'now' });
  }
  const message = render(mapping.messageTemplate ?? '{{message}}', body).trim();
  if (!message) throw new GatewayError('INVALID_REQUEST', `hook mapping ${mapping.id ?? name} produced an empty message`);
  const runId = await startHookRun(gateway, {
    message,
    name: mapping.name ?? mapping.id ?? name,
    sessionKey: mapping.sessionKey ? render(mapping.sessionKey, body) : undefined,
    deliver: mapping.deliver ?? true,
    channel: mapping.channel,
    to: mapping.to ? render(mapping.to, body) : undefined,
    model: mapping.model,
    thinking: mapping.thinking,
    timeoutSeconds: mapping.timeoutSeconds,
  });
  sendJson(res, 202, { ok: true, runId });
  return true;
}

interface HookRun {
  message: string;
  name: string;
  sessionKey?: string;
  deliver: boolean;
  channel?: string;
  to?: string;
  model?: string;
  thinking?: string;
  timeoutSeconds?: number;
}

/**
 * Starts the run through the gateway's own `agent` method and resolves with its id once it was
 * accepted; when it ends, a one-line summary is queued for the main session.
 */
async function startHookRun(gateway: Gateway, hook: HookRun): Promise<string> {
  if (!gateway.methods().includes('agent')) throw new GatewayError('UNAVAILABLE', 'agent runs are not available on this gateway');
  const runId = randomUUID();
  const params = {
    message: hook.message,
    idempotencyKey: runId,
    // Without a sessionKey the run is stateless: session maintenance removes its session.
    sessionKey: hook.sessionKey ?? statelessSessionKey('hook', undefined, runId),
    deliver: hook.deliver && hook.to !== undefined,
    label: hook.name.slice(0, 64),
    ...(hook.channel && hook.channel !== 'last' ? { channel: hook.channel } : {}),
    ...(hook.to ? { to: hook.to } : {}),
    ...(hook.model ? { model: hook.model } : {}),
    ...(hook.thinking ? { thinking: hook.thinking } : {}),
    ...(hook.timeoutSeconds ? { timeout: hook.timeoutSeconds } : {}),
  };
  let acceptedResolve!: () => void;
  const accepted = new Promise<void>((resolve) => (acceptedResolve = resolve));
  const finished = gateway.call('agent', params, () => acceptedResolve());
  // A failure before the accepted ack (bad params, no model) is the caller's answer.
  await Promise.race([accepted, finished]);
  void finished.then(
    (final) => {
      const text = 'result' in final ? final.result.payloads.map((p) => p.text).join('\n').trim() : '';
      enqueueSystemEvent(gateway, `Hook ${hook.name}: ${summarize(text || 'completed with no reply')}`);
    },
    (err: unknown) => enqueueSystemEvent(gateway, `Hook ${hook.name}: failed: ${summarize((err as Error).message)}`),
  );
  return runId;
}

function summarize(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/** `{{a.b}}` → the value at that path of `data` (objects as JSON), missing → empty. */
function render(template: string, data: Json): string {
  return template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_, path: string) => {
    let value: unknown = data;
    for (const key of path.split('.')) value = value && typeof value === 'object' ? (value as Json)[key] : undefined;
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** Queued for `status` when the system plugin runs; a gateway without it has no queue to report. */
function enqueueSystemEvent(gateway: Gateway, text: string): void {
  gateway.optionalService(systemEventsService)?.enqueue(text);
}
