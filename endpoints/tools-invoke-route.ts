import type { ServerResponse } from 'node:http';
import { GatewayError } from '../lib/errors.js';
import { mainSessionKey } from '../lib/sessions/session-keys.js';
import type { HttpRoute } from '../transports/http.js';
import { sendJson } from '../transports/http.js';
import { bearerAuth, header, onClientGone, readJsonBody, requestPath, retryAfterHeader } from '../transports/http-body.js';
import type { AgentRouteOptions } from './openai-request.js';

export interface ToolsInvokeRouteOptions extends AgentRouteOptions {
  /** Default 2 MB. */
  maxBodyBytes?: number;
}

function fail(res: ServerResponse, status: number, type: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { ok: false, error: { type, message } }, headers);
}

/**
 * `POST /tools/invoke` (always on; docs/protocol.md, Tool invocation): runs one agent tool
 * directly. 200 `{ok:true, result}`, 400 bad body or tool failure, 401 without the gateway
 * secret, 404 for a tool that does not exist or policy hides, 405 for other methods.
 */
export function createToolsInvokeRoute(options: ToolsInvokeRouteOptions): HttpRoute {
  const { agents } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;
  return async (req, res) => {
    if (requestPath(req) !== '/tools/invoke') return false;
    if (req.method !== 'POST') {
      fail(res, 405, 'method_not_allowed', 'Method Not Allowed', { allow: 'POST' });
      return true;
    }
    const auth = bearerAuth(req, options.gateway);
    if (!auth.ok) {
      const error = auth.status === 429 ? { message: 'Too many failed authentication attempts', type: 'rate_limited' } : { message: 'Unauthorized', type: 'unauthorized' };
      sendJson(res, auth.status, { error }, retryAfterHeader(auth));
      return true;
    }
    const parsed = await readJsonBody(req, res, maxBodyBytes);
    if (!parsed.ok) {
      if (parsed.reason === 'too_large') fail(res, 413, 'payload_too_large', `Request body larger than ${maxBodyBytes} bytes`);
      else if (parsed.reason === 'invalid_json') fail(res, 400, 'invalid_request', parsed.message);
      else res.destroy();
      return true;
    }
    const body = (parsed.value ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body) || typeof body.tool !== 'string' || !body.tool) {
      fail(res, 400, 'invalid_request', '`tool` (string) is required');
      return true;
    }
    if (body.args !== undefined && (typeof body.args !== 'object' || body.args === null || Array.isArray(body.args))) {
      fail(res, 400, 'invalid_request', '`args` must be an object');
      return true;
    }
    const tool = agents.tools.get(body.tool);
    if (!tool) {
      fail(res, 404, 'not_found', `Tool not available: ${body.tool}`);
      return true;
    }

    let target;
    try {
      const key = typeof body.sessionKey === 'string' && body.sessionKey && body.sessionKey !== 'main' ? body.sessionKey : undefined;
      target = key ? agents.chatTarget(key) : { agentId: agents.settings.defaultAgentId, sessionKey: mainSessionKey(agents.settings.defaultAgentId) };
    } catch (err) {
      fail(res, 400, 'invalid_request', (err as Error).message);
      return true;
    }
    const args = { ...(body.args as Record<string, unknown> | undefined), ...(typeof body.action === 'string' ? { action: body.action } : {}) };
    const controller = new AbortController();
    const forget = onClientGone(res, () => controller.abort());
    try {
      const result = await agents.tools.invoke(body.tool, args, {
        agentId: target.agentId,
        sessionKey: target.sessionKey,
        signal: controller.signal,
        messageChannel: header(req, 'x-openclaw-message-channel'),
        accountId: header(req, 'x-openclaw-account-id'),
      });
      if (result.isError) fail(res, 400, 'tool_error', result.text);
      else sendJson(res, 200, { ok: true, result: result.details ?? result.text });
    } catch (err) {
      const reason = err instanceof GatewayError ? (err.details as { reason?: unknown } | undefined)?.reason : undefined;
      if (reason === 'not_found') fail(res, 404, 'not_found', (err as Error).message);
      else fail(res, 400, 'tool_error', err instanceof Error ? err.message : String(err));
    } finally {
      forget();
    }
    return true;
  };
}
