import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AgentRunRequest, AgentRunResult } from '../lib/agents/agent-runner.js';
import type { AgentService } from '../lib/agents/agent-service.js';
import { GatewayError } from '../lib/errors.js';
import type { Gateway } from '../lib/gateway.js';
import { statelessSessionKey } from '../lib/sessions/session-keys.js';
import { bearerAuth, header, onClientGone, readJsonBody, requestPath, retryAfterHeader } from '../transports/http-body.js';
import { sendJson } from '../transports/http.js';

/** `{error:{message, type}}`, the error body of every `/v1/*` endpoint. */
export function sendOpenAiError(res: ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, status, { error: { message, type } }, headers);
}

/** What every agent-backed HTTP route takes: the runs, and the bearer check (docs/protocol.md, HTTP auth). */
export interface AgentRouteOptions {
  agents: AgentService;
  gateway: Pick<Gateway, 'authorizeHttp'>;
  maxBodyBytes?: number;
}

/**
 * The checks every `/v1/*` POST endpoint shares, in order: path, method (405), bearer auth (401),
 * body size (413) and JSON (400). Returns the parsed body, or undefined once it answered.
 */
export async function acceptOpenAiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: { path: string; gateway: Pick<Gateway, 'authorizeHttp'>; maxBodyBytes: number },
): Promise<{ body: Record<string, unknown> } | undefined | false> {
  if (requestPath(req) !== options.path) return false;
  if (req.method !== 'POST') {
    sendOpenAiError(res, 405, 'Method Not Allowed', 'invalid_request_error', { allow: 'POST' });
    return undefined;
  }
  const auth = bearerAuth(req, options.gateway);
  if (!auth.ok) {
    if (auth.status === 429) sendOpenAiError(res, 429, 'Too many failed authentication attempts', 'rate_limit_exceeded', retryAfterHeader(auth));
    else sendOpenAiError(res, 401, 'Unauthorized', 'unauthorized', retryAfterHeader(auth));
    return undefined;
  }
  const parsed = await readJsonBody(req, res, options.maxBodyBytes);
  if (!parsed.ok) {
    if (parsed.reason === 'too_large') sendOpenAiError(res, 413, `Request body larger than ${options.maxBodyBytes} bytes`, 'invalid_request_error');
    else if (parsed.reason === 'invalid_json') sendOpenAiError(res, 400, parsed.message, 'invalid_request_error');
    else res.destroy();
    return undefined;
  }
  if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    sendOpenAiError(res, 400, 'Request body must be a JSON object', 'invalid_request_error');
    return undefined;
  }
  return { body: parsed.value as Record<string, unknown> };
}

/**
 * Agent of a request: `x-openclaw-agent-id` / `x-openclaw-agent` header, else a
 * `model` of `openclaw:<id>`, `openclaw/<id>` or `agent:<id>`, else the default agent.
 */
export function selectAgent(req: IncomingMessage, model: unknown, agents: AgentService): string {
  const fromHeader = header(req, 'x-openclaw-agent-id') ?? header(req, 'x-openclaw-agent');
  const fromModel = typeof model === 'string' ? /^(?:openclaw[:/]|agent:)(.+)$/i.exec(model.trim())?.[1] : undefined;
  const id = fromHeader ?? fromModel;
  return id === undefined ? agents.settings.defaultAgentId : agents.settings.require(id).id;
}

/**
 * Session of a request: `x-openclaw-session-key` wins; else `user` gives a stable
 * `agent:<id>:<prefix>-user:<user>`; else a fresh stateless `agent:<id>:<prefix>:<uuid>`.
 */
export function sessionKeyFor(req: IncomingMessage, agentId: string, user: unknown, prefix: 'openai' | 'openresponses', agents: AgentService): string {
  const explicit = header(req, 'x-openclaw-session-key');
  if (explicit) {
    const target = agents.chatTarget(explicit);
    if (target.agentId !== agentId) throw new GatewayError('INVALID_REQUEST', `session key ${explicit} belongs to agent "${target.agentId}", not "${agentId}"`);
    return target.sessionKey;
  }
  if (typeof user === 'string' && user.trim()) return `agent:${agentId}:${prefix}-user:${user.trim()}`;
  // Nobody can address this session again: session maintenance removes it (session.maintenance).
  return statelessSessionKey(prefix, agentId);
}

/** Text of a message `content`: a string, or parts of type `text` / `input_text` / `output_text`. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => {
      const part = p as { type?: unknown; text?: unknown };
      return (part.type === 'text' || part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string' ? part.text : '';
    })
    .filter(Boolean)
    .join('\n');
}

export interface Turn {
  role: string;
  text: string;
}

/**
 * The message the agent gets: earlier turns the client sent become a history block in front of
 * the current message (the session keeps its own transcript too).
 */
export function promptWithHistory(history: readonly Turn[], current: string): string {
  const turns = history.filter((t) => t.text.trim());
  if (!turns.length) return current;
  const lines = turns.map((t) => `${t.role === 'assistant' ? 'Assistant' : t.role === 'tool' ? 'Tool' : 'User'}: ${t.text}`);
  return `[Chat messages since your last reply - for context]\n${lines.join('\n')}\n\n[Current message - respond to this]\n${current}`;
}

/** HTTP status and error type of a failure before or during a run. */
export function failureStatus(err: unknown): { status: number; type: string; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof GatewayError && err.code === 'INVALID_REQUEST') return { status: 400, type: 'invalid_request_error', message };
  return { status: 500, type: 'api_error', message };
}

/** Unix seconds, as OpenAI objects carry them. */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export interface HttpRunHooks {
  /** The run was accepted (a model is configured): time to start a streamed response. */
  onStarted?(): void;
  /** Reply text as it streams; a second assistant message (after a tool call) starts with a blank line. */
  onText?(content: string): void;
}

/**
 * Runs one agent turn for an HTTP caller: a run that cannot start is answered right here (and
 * undefined returned); a client that goes away aborts the run.
 */
export async function runForHttp(agents: AgentService, res: ServerResponse, request: AgentRunRequest, hooks: HttpRunHooks = {}): Promise<AgentRunResult | undefined> {
  let wrote = false;
  const onText = hooks.onText;
  const unsubscribe = onText
    ? agents.runner.onEvent((event) => {
        if (event.runId !== request.runId || event.stream !== 'assistant') return;
        const delta = String(event.data.delta ?? '');
        if (!delta) return;
        onText(wrote && event.data.text === delta ? `\n\n${delta}` : delta);
        wrote = true;
      })
    : undefined;
  let run;
  try {
    run = agents.start(request);
  } catch (err) {
    unsubscribe?.();
    const { status, type, message } = failureStatus(err);
    sendOpenAiError(res, status, message, type);
    return undefined;
  }
  const forget = onClientGone(res, () => run.abort('rpc'));
  hooks.onStarted?.();
  try {
    return await run.done;
  } finally {
    forget();
    unsubscribe?.();
  }
}
