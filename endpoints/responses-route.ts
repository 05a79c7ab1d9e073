import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AgentRunResult } from '../lib/agents/agent-runner.js';
import { invalidRequest } from '../lib/errors.js';
import type { ImagePart, ToolSpec } from '../lib/providers/model-provider.js';
import type { HttpRoute } from '../transports/http.js';
import { sendJson } from '../transports/http.js';
import { GuardedUrlFetcher } from './guarded-url-fetcher.js';
import { ResponseInputReader, responseInputLimits, type ResponseInputLimits } from './response-inputs.js';
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

export interface ResponsesRouteOptions extends AgentRouteOptions {
  /** `gateway.http.endpoints.responses.enabled`; off by default, read per request. */
  enabled: () => boolean;
  /** `gateway.http.endpoints.responses.maxBodyBytes`; default 20 MB. */
  maxBodyBytes?: number;
  /** Limits on image and file inputs (`gateway.http.endpoints.responses` files/images); default as documented. */
  inputLimits?: ResponseInputLimits;
  /** Fetches URL inputs; default a GuardedUrlFetcher over the global fetch and the system resolver. */
  fetcher?: GuardedUrlFetcher;
}
const NO_RESPONSE = 'No response from OpenClaw.';

interface ParsedRequest {
  message: string;
  images: ImagePart[];
  system?: string;
  toolResults: Array<{ toolCallId: string; output: string }>;
  clientTools: ToolSpec[];
  maxOutputTokens?: number;
}

/**
 * `POST /v1/responses` (OpenResponses; docs/protocol.md, OpenAI-compatible endpoints): agent
 * runs behind the Responses API, streaming (`response.*` SSE events, ended by `[DONE]`) or not;
 * function tools the caller defines come back as `function_call` output items for the caller to
 * run.
 */
export function createResponsesRoute(options: ResponsesRouteOptions): HttpRoute {
  const { agents } = options;
  const inputLimits = options.inputLimits ?? responseInputLimits();
  const fetcher = options.fetcher ?? new GuardedUrlFetcher();
  return async (req, res) => {
    if (!options.enabled()) return false;
    const accepted = await acceptOpenAiRequest(req, res, { path: '/v1/responses', gateway: options.gateway, maxBodyBytes: options.maxBodyBytes ?? 20 * 1024 * 1024 });
    if (accepted === false) return false;
    if (!accepted) return true;
    const { body } = accepted;

    let parsed: ParsedRequest;
    let agentId: string;
    let sessionKey: string;
    try {
      parsed = await parseRequest(body, new ResponseInputReader(inputLimits, fetcher));
      agentId = selectAgent(req, body.model, agents);
      sessionKey = sessionKeyFor(req, agentId, body.user, 'openresponses', agents);
    } catch (err) {
      const { status, type, message } = failureStatus(err);
      sendOpenAiError(res, status, message, type);
      return true;
    }

    const id = `resp_${randomUUID()}`;
    const createdAt = unixSeconds(agents.gateway.clock.now());
    const model = typeof body.model === 'string' && body.model ? body.model : 'openclaw';
    const stream = body.stream === true;
    const envelope = (status: string, output: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'response',
      created_at: createdAt,
      status,
      model,
      output,
      ...extra,
    });

    const sse = new ResponseEventWriter(res);
    const result = await runForHttp(
      agents,
      res,
      {
        runId: id,
        agentId,
        sessionKey,
        message: parsed.message,
        images: parsed.images,
        extraSystemPrompt: parsed.system,
        toolResults: parsed.toolResults,
        clientTools: parsed.clientTools,
        maxOutputTokens: parsed.maxOutputTokens,
      },
      stream
        ? {
            onStarted: () => {
              startSse(res);
              const initial = envelope('in_progress', []);
              sse.send('response.created', { response: initial });
              sse.send('response.in_progress', { response: initial });
            },
            onText: (content) => sse.delta(content),
          }
        : {},
    );
    if (!result) return true;

    const usage = usageOf(result);
    if (result.status === 'error') {
      const error = { code: 'api_error', message: result.error?.message ?? 'agent run failed' };
      if (!stream) {
        sendOpenAiError(res, 500, error.message, 'api_error');
        return true;
      }
      sse.closeMessage();
      sse.send('response.failed', { response: envelope('failed', sse.output, { usage, error }) });
      sse.done();
      return true;
    }

    const calls = (result.pendingToolCalls ?? []).map((c) => ({
      type: 'function_call',
      id: `fc_${randomUUID()}`,
      call_id: c.id,
      name: c.name,
      arguments: c.arguments,
      status: 'completed',
    }));
    const text = result.payloads.map((p) => p.text).filter(Boolean).join('\n\n');
    if (!stream) {
      const output: unknown[] = [];
      if (text || !calls.length) output.push(messageItem(`msg_${randomUUID()}`, text || NO_RESPONSE, 'completed'));
      output.push(...calls);
      sendJson(res, 200, envelope('completed', output, { usage }));
      return true;
    }
    if (!sse.text && !calls.length) sse.delta(NO_RESPONSE);
    sse.closeMessage();
    for (const call of calls) {
      const index = sse.output.length;
      sse.send('response.output_item.added', { output_index: index, item: { ...call, status: 'in_progress' } });
      sse.output.push(call);
      sse.send('response.output_item.done', { output_index: index, item: call });
    }
    sse.send('response.completed', { response: envelope('completed', sse.output, { usage }) });
    sse.done();
    return true;
  };
}

function messageItem(id: string, text: string, status: string) {
  return { type: 'message', id, role: 'assistant', status, content: [{ type: 'output_text', text, annotations: [] }] };
}

function usageOf(result: AgentRunResult) {
  const u = result.usage;
  return { input_tokens: u?.input ?? 0, output_tokens: u?.output ?? 0, total_tokens: u ? u.input + u.output : 0 };
}

/** The SSE side of one streamed response: `event: <type>` + `data: <json>` with a sequence number. */
class ResponseEventWriter {
  readonly output: unknown[] = [];
  text = '';
  readonly #res: ServerResponse;
  #seq = 0;
  #itemId: string | undefined;
  #index = 0;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  send(type: string, data: Record<string, unknown>): void {
    if (this.#res.writableEnded) return;
    this.#res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#seq++, ...data })}\n\n`);
  }

  /** Text into the message item, opening it on the first delta. */
  delta(delta: string): void {
    if (!this.#itemId) {
      this.#itemId = `msg_${randomUUID()}`;
      this.#index = this.output.length;
      this.send('response.output_item.added', { output_index: this.#index, item: { type: 'message', id: this.#itemId, role: 'assistant', status: 'in_progress', content: [] } });
      this.send('response.content_part.added', { item_id: this.#itemId, output_index: this.#index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    }
    this.text += delta;
    this.send('response.output_text.delta', { item_id: this.#itemId, output_index: this.#index, content_index: 0, delta });
  }

  /** Finishes the message item, if one was opened. */
  closeMessage(): void {
    if (!this.#itemId) return;
    const id = this.#itemId;
    this.#itemId = undefined;
    const part = { type: 'output_text', text: this.text, annotations: [] };
    this.send('response.output_text.done', { item_id: id, output_index: this.#index, content_index: 0, text: this.text });
    this.send('response.content_part.done', { item_id: id, output_index: this.#index, content_index: 0, part });
    const item = messageItem(id, this.text, 'completed');
    this.output.push(item);
    this.send('response.output_item.done', { output_index: this.#index, item });
  }

  done(): void {
    if (!this.#res.writableEnded) this.#res.end('data: [DONE]\n\n');
  }
}

/** `input`, `instructions`, `tools`, `max_output_tokens` of a Responses request, as a run. */
async function parseRequest(body: Record<string, unknown>, inputs: ResponseInputReader): Promise<ParsedRequest> {
  const system: string[] = [];
  if (typeof body.instructions === 'string' && body.instructions.trim()) system.push(body.instructions);
  const turns: Array<{ role: string; content: unknown }> = [];
  const toolResults: ParsedRequest['toolResults'] = [];
  let lastToolResult = -1;
  const input = body.input;
  if (typeof input === 'string') {
    turns.push({ role: 'user', content: input });
  } else if (Array.isArray(input)) {
    for (const raw of input) {
      const item = (raw ?? {}) as Record<string, unknown>;
      const type = item.type ?? (item.role ? 'message' : undefined);
      if (type === 'function_call_output') {
        if (typeof item.call_id !== 'string') throw invalidRequest('function_call_output needs call_id');
        toolResults.push({ toolCallId: item.call_id, output: typeof item.output === 'string' ? item.output : contentText(item.output) || JSON.stringify(item.output ?? '') });
        lastToolResult = turns.length;
      } else if (type === 'message') {
        const role = String(item.role ?? 'user');
        if (role === 'system' || role === 'developer') {
          const { text } = await messageContent(item.content, inputs, false);
          if (text) system.push(text);
        } else {
          turns.push({ role: role === 'assistant' ? 'assistant' : 'user', content: item.content });
        }
      }
      // reasoning, item_reference and echoed function_call items carry nothing the run needs.
    }
  } else if (input !== undefined) {
    throw invalidRequest('`input` must be a string or an array of items');
  }
  let current = -1;
  for (let i = turns.length - 1; i >= Math.max(0, lastToolResult); i--) {
    if (turns[i]!.role === 'user') {
      current = i;
      break;
    }
  }
  if (current === -1 && !toolResults.length) throw invalidRequest('Missing user message in `input`.');
  // Images only reach the model from the current turn, so earlier turns' images are not fetched.
  const history: Turn[] = [];
  for (const turn of current === -1 ? turns : turns.slice(0, current)) history.push({ role: turn.role, text: (await messageContent(turn.content, inputs, false)).text });
  const now = current === -1 ? { text: '', images: [] } : await messageContent(turns[current]!.content, inputs, true);
  const maxOutputTokens = typeof body.max_output_tokens === 'number' && body.max_output_tokens > 0 ? Math.floor(body.max_output_tokens) : undefined;
  return {
    message: promptWithHistory(history, now.text),
    images: now.images,
    ...(system.length ? { system: system.join('\n\n') } : {}),
    toolResults,
    clientTools: body.tool_choice === 'none' ? [] : clientTools(body.tools),
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
  };
}

function clientTools(raw: unknown): ToolSpec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalidRequest('`tools` must be an array');
  return raw.map((t) => {
    const tool = (t ?? {}) as Record<string, unknown>;
    if (tool.type !== 'function') throw invalidRequest(`unsupported tool type: ${String(tool.type)} (only "function")`);
    const fn = (tool.function ?? tool) as { name?: unknown; description?: unknown; parameters?: unknown };
    if (typeof fn.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(fn.name)) throw invalidRequest('function tools need a name of letters, digits, "_" or "-"');
    return {
      name: fn.name,
      description: typeof fn.description === 'string' ? fn.description : '',
      parameters: fn.parameters && typeof fn.parameters === 'object' ? (fn.parameters as Record<string, unknown>) : { type: 'object', properties: {} },
    };
  });
}

/** Text, images (when wanted) and files of a message item's content, parts in order. */
async function messageContent(content: unknown, inputs: ResponseInputReader, withImages: boolean): Promise<{ text: string; images: ImagePart[] }> {
  if (!Array.isArray(content)) return { text: contentText(content), images: [] };
  const texts: string[] = [];
  const images: ImagePart[] = [];
  for (const raw of content) {
    const part = (raw ?? {}) as Record<string, unknown>;
    if (part.type === 'input_image') {
      if (withImages) images.push(await inputs.image(part));
    } else if (part.type === 'input_file') {
      const file = await inputs.file(part);
      texts.push(file.text);
      if (withImages) images.push(...file.images);
    } else {
      const text = contentText([part]);
      if (text) texts.push(text);
    }
  }
  return { text: texts.join('\n'), images };
}
