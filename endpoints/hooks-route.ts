import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../lib/clock.js';
import { safeEqual } from '../lib/safe-equal.js';
import { GatewayError } from '../lib/errors.js';
import type { Gateway } from '../lib/gateway.js';
import { findHookMapping, type HookMapping } from '../lib/hooks/hook-mappings.js';
import type { Logger } from '../lib/logger.js';
import { systemEventsService } from '../lib/services.js';
import { statelessSessionKey } from '../lib/sessions/session-keys.js';
import type { HttpRoute } from '../transports/http.js';
import { sendJson, sendText } from '../transports/http.js';
import { bearerToken, header, readJsonBody, retryAfterHeader } from '../transports/http-body.js';
import { mappedHookAction, type HookRun, type WakeMode } from './hook-mapping-action.js';
import type { HookTransformLoader } from './hook-transforms.js';

export type { HookMapping } from '../lib/hooks/hook-mappings.js';

export interface HooksRouteOptions {
  gateway: Gateway;
  logger?: Logger;
  /** `hooks.token`: required. */
  token: string;
  /** `hooks.path`, default `/hooks` (`/` is refused). */
  path?: string;
  /** `hooks.maxBodyBytes`, default 262144. */
  maxBodyBytes?: number;
  /** `hooks.mappings` then the presets' mappings (see resolveHookMappings), first match wins. */
  mappings?: HookMapping[];
  /** Where `transform.module` paths are looked up (`hooks.transformsDir`); needed when a mapping has a transform. */
  transforms?: HookTransformLoader;
  clock?: Clock;
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
  const clock = options.clock ?? systemClock;
  const mappings = options.mappings ?? [];
  for (const [i, mapping] of mappings.entries()) {
    if (!mapping.transform) continue;
    if (!options.transforms) throw new GatewayError('CONFIG_INVALID', `hooks.mappings[${i}].transform needs hooks.transformsDir`);
    options.transforms.checkModulePath(mapping.transform.module);
  }
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
    let mapping: HookMapping | undefined;
    try {
      if (name === 'wake') return await wake(res, gateway, body);
      if (name === 'agent') return await agent(res, gateway, body);
      mapping = findHookMapping(mappings, name, body);
      if (!mapping) {
        sendText(res, 404, 'Not Found');
        return true;
      }
      const action = await mappedHookAction(mapping, { payload: body, headers: headerRecord(req), url, path: name, now: new Date(clock.now()).toISOString() }, options.transforms);
      if (action === null) {
        res.writeHead(204).end();
      } else if (action.action === 'wake') {
        await wakeWith(gateway, action.text, action.mode, action.agentId);
        sendJson(res, 200, { ok: true, mode: action.mode });
      } else {
        sendJson(res, 202, { ok: true, runId: await startHookRun(gateway, action.run) });
      }
      return true;
    } catch (err) {
      const status = err instanceof GatewayError && err.code === 'INVALID_REQUEST' ? 400 : 500;
      if (status === 500) options.logger?.log('error', 'hooks', `${url.pathname}: ${(err as Error).message}`, mapping?.id ? { mapping: mapping.id } : undefined);
      sendJson(res, status, { ok: false, error: (err as Error).message });
      return true;
    }
  };
}

/** Request headers for templates and transforms: lower-case names, repeated values joined. */
function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
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
  await wakeWith(gateway, text, mode);
  sendJson(res, 200, { ok: true, mode });
  return true;
}

/** With heartbeats, `now` runs one at once; without, the text just waits in the queue. */
async function wakeWith(gateway: Gateway, text: string, mode: WakeMode, agentId?: string): Promise<void> {
  if (gateway.methods().includes('wake')) await gateway.call('wake', { mode, text, ...(agentId ? { agentId } : {}) });
  else enqueueSystemEvent(gateway, text);
}

async function agent(res: ServerResponse, gateway: Gateway, body: Json): Promise<true> {
  const message = typeof body.message === 'string' ? body.message.trim() : '';
  if (!message) throw new GatewayError('INVALID_REQUEST', 'message required');
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const runId = await startHookRun(gateway, {
    message,
    name: str(body.name) ?? 'Hook',
    agentId: str(body.agentId),
    sessionKey: str(body.sessionKey),
    wakeMode: body.wakeMode === 'next-heartbeat' ? 'next-heartbeat' : 'now',
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

/**
 * Starts the run through the gateway's own `agent` method and resolves with its id once it was
 * accepted; when it ends, a one-line summary is queued for the main session (a wake in `wakeMode`).
 */
async function startHookRun(gateway: Gateway, hook: HookRun): Promise<string> {
  if (!gateway.methods().includes('agent')) throw new GatewayError('UNAVAILABLE', 'agent runs are not available on this gateway');
  const runId = randomUUID();
  const params = {
    message: hook.message,
    idempotencyKey: runId,
    // Without a sessionKey the run is stateless: session maintenance removes its session.
    sessionKey: hook.sessionKey ?? statelessSessionKey('hook', hook.agentId, runId),
    ...(hook.agentId ? { agentId: hook.agentId } : {}),
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
  const report = (text: string) => wakeWith(gateway, text, hook.wakeMode).catch(() => enqueueSystemEvent(gateway, text));
  void finished.then(
    (final) => {
      const text = 'result' in final ? final.result.payloads.map((p) => p.text).join('\n').trim() : '';
      return report(`Hook ${hook.name}: ${summarize(text || 'completed with no reply')}`);
    },
    (err: unknown) => report(`Hook ${hook.name}: failed: ${summarize((err as Error).message)}`),
  );
  return runId;
}

function summarize(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}

/** Queued for `status` when the system plugin runs; a gateway without it has no queue to report. */
function enqueueSystemEvent(gateway: Gateway, text: string): void {
  gateway.optionalService(systemEventsService)?.enqueue(text);
}
