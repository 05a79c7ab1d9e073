import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AgentRunResult } from '../lib/agents/agent-runner.js';
import { invalidRequest } from '../lib/errors.js';
import type { HttpRoute } from '../transports/http.js';
import { sendJson } from '../transports/http.js';
import { startSse } from '../transports/http-body.js';
import {
  acceptOpenAiRequest,
  contentText,
  failureStatus,
  promptWithHistory,
  runForHttp,
  selectAgent,
  sendOpenAiError,
  sessionKeyFor,
  unixSeconds,
  type Turn,
  type AgentRouteOptions,
} from './openai-request.js';

export interface ChatCompletionsRouteOptions extends AgentRouteOptions {
  /** `gateway.http.endpoints.chatCompletions.enabled`; off by default, read per request. */
  enabled: () => boolean;
  /** Default 1 MiB. */
  maxBodyBytes?: number;
}

const NO_RESPONSE = 'No response from OpenClaw.';

/**
 * `POST /v1/chat/completions` (docs/protocol.md, OpenAI-compatible endpoints): an
 * OpenAI-compatible front for agent runs, streaming (`chat.completion.chunk` SSE, ended by
 * `[DONE]`) or not.
 */
export function createChatCompletionsRoute(options: ChatCompletionsRouteOptions): HttpRoute {
  const { agents } = options;
  return async (req, res) => {
    if (!options.enabled()) return false;
    const accepted = await acceptOpenAiRequest(req, res, { path: '/v1/chat/completions', gateway: options.gateway, maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024 });
    if (accepted === false) return false;
    if (!accepted) return true;
    const { body } = accepted;

    let request: { message: string; system?: string; agentId: string; sessionKey: string };
    try {
      const agentId = selectAgent(req, body.model, agents);
      request = { ...buildPrompt(body), agentId, sessionKey: sessionKeyFor(req, agentId, body.user, 'openai', agents) };
    } catch (err) {
      const { status, type, message } = failureStatus(err);
      sendOpenAiError(res, status, message, type);
      return true;
    }

    const id = `chatcmpl_${randomUUID()}`;
    const created = unixSeconds(agents.gateway.clock.now());
    const model = typeof body.model === 'string' && body.model ? body.model : 'openclaw';
    const stream = body.stream === true;
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });

    const result = await runForHttp(
      agents,
      res,
      { runId: id, agentId: request.agentId, sessionKey: request.sessionKey, message: request.message, extraSystemPrompt: request.system },
      stream
        ? {
            onStarted: () => {
              startSse(res);
              writeData(res, chunk({ role: 'assistant' }, null));
            },
            onText: (content) => writeData(res, chunk({ content }, null)),
          }
        : {},
    );
    if (!result) return true;
    if (stream) {
      if (result.status === 'error') writeData(res, chunk({ content: `Error: ${result.error?.message ?? 'agent run failed'}` }, 'stop'));
      res.end('data: [DONE]\n\n');
      return true;
    }
    if (result.status === 'error') {
      sendOpenAiError(res, 500, result.error?.message ?? 'agent run failed', 'api_error');
      return true;
    }
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: replyText(result) }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
    return true;
  };
}

function writeData(res: ServerResponse, value: unknown): void {
  if (!res.writableEnded) res.write(`data: ${JSON.stringify(value)}\n\n`);
}

function replyText(result: AgentRunResult): string {
  return result.payloads.map((p) => p.text).filter(Boolean).join('\n\n') || NO_RESPONSE;
}

/** System/developer messages become extra system prompt; the last user/tool message is the turn. */
function buildPrompt(body: Record<string, unknown>): { message: string; system?: string } {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const m of messages) {
    if (!m || typeof m !== 'object') continue;
    const role = String(m.role ?? '');
    const text = contentText(m.content);
    if (role === 'system' || role === 'developer') {
      if (text) system.push(text);
    } else if (role === 'user' || role === 'assistant' || role === 'tool') {
      turns.push({ role, text });
    }
  }
  let current = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === 'user' || turns[i]!.role === 'tool') {
      current = i;
      break;
    }
  }
  if (current === -1 || !turns[current]!.text.trim()) throw invalidRequest('Missing user message in `messages`.');
  return {
    message: promptWithHistory(turns.slice(0, current), turns[current]!.text),
    ...(system.length ? { system: system.join('\n\n') } : {}),
  };
}
