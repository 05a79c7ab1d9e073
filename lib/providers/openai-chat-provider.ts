import type { ModelMessage, ModelProvider, ModelRequest, ModelStreamEvent, ModelUsage, ProviderApi } from './model-provider.js';
import { textOf } from './model-provider.js';
import { joinUrl, parseEventJson, providerError, streamProviderEvents, upstreamMessage, type ProviderHttpOptions } from './provider-stream.js';

export interface OpenAiChatProviderOptions extends ProviderHttpOptions {
  /** Provider id used in messages and results (`models.providers.<id>`). Default `openai`. */
  id?: string;
  /** Base URL up to and including the version segment, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** Sent as a Bearer token; local servers (Ollama, vLLM, LM Studio) often need none. */
  apiKey?: string;
  headers?: Record<string, string>;
}

type OpenAiMessage = Record<string, unknown>;

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/**
 * OpenAI-compatible Chat Completions (`POST <baseUrl>/chat/completions`, `stream: true`): OpenAI,
 * OpenRouter, Ollama, vLLM, LM Studio and anything else that speaks it, with function calling.
 */
export class OpenAiChatProvider implements ModelProvider {
  readonly id: string;
  readonly api: ProviderApi = 'openai-completions';
  readonly #options: OpenAiChatProviderOptions;

  constructor(options: OpenAiChatProviderOptions) {
    this.id = options.id ?? 'openai';
    this.#options = options;
  }

  async *stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const o = this.#options;
    const body: Record<string, unknown> = {
      model: request.model,
      messages: toOpenAiMessages(request.system, request.messages),
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.tools?.length) {
      body.tools = request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));
    }
    if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
    if (request.thinking && request.thinking !== 'off') body.reasoning_effort = request.thinking === 'minimal' ? 'low' : request.thinking;

    const headers: Record<string, string> = { ...o.headers };
    if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;

    const calls = new Map<number, PendingCall>();
    let finish: string | undefined;
    let usage: ModelUsage | undefined;
    let done = false;
    const events = streamProviderEvents({ provider: this.id, url: joinUrl(o.baseUrl, 'chat/completions'), headers, body, signal: request.signal }, o);
    for await (const event of events) {
      if (event.data === '[DONE]') {
        done = true;
        break;
      }
      const chunk = parseEventJson(this.id, event);
      if (chunk.error) throw providerError(this.id, 'upstream', `${this.id} stream failed: ${upstreamMessage(JSON.stringify({ error: chunk.error }))}`);
      const choice = (chunk.choices as Array<Record<string, unknown>> | undefined)?.[0];
      const delta = choice?.delta as Record<string, unknown> | undefined;
      if (delta) {
        const reasoning = delta.reasoning_content ?? delta.reasoning;
        if (typeof reasoning === 'string' && reasoning) yield { type: 'thinking', delta: reasoning };
        if (typeof delta.content === 'string' && delta.content) yield { type: 'text', delta: delta.content };
        for (const call of (delta.tool_calls as Array<Record<string, unknown>> | undefined) ?? []) {
          const index = typeof call.index === 'number' ? call.index : calls.size;
          const fn = (call.function ?? {}) as { name?: unknown; arguments?: unknown };
          const pending = calls.get(index) ?? { id: '', name: '', args: '' };
          if (typeof call.id === 'string' && call.id) pending.id = call.id;
          if (typeof fn.name === 'string') pending.name += fn.name;
          if (typeof fn.arguments === 'string') pending.args += fn.arguments;
          calls.set(index, pending);
        }
      }
      if (typeof choice?.finish_reason === 'string') finish = choice.finish_reason;
      if (chunk.usage && typeof chunk.usage === 'object') usage = toUsage(chunk.usage as Record<string, unknown>);
    }
    if (!done && finish === undefined) {
      throw providerError(this.id, 'upstream', `${this.id} stream ended before the reply was complete`);
    }
    let n = 0;
    for (const [, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
      n++;
      yield { type: 'toolCall', id: call.id || `call_${n}`, name: call.name, argumentsJson: call.args || '{}' };
    }
    if (usage) yield { type: 'usage', usage };
    yield { type: 'stop', reason: calls.size ? 'toolUse' : finish === 'length' ? 'length' : 'stop' };
  }
}

function toUsage(raw: Record<string, unknown>): ModelUsage {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.round(v)) : 0);
  const input = num(raw.prompt_tokens);
  const output = num(raw.completion_tokens);
  const cached = num((raw.prompt_tokens_details as Record<string, unknown> | undefined)?.cached_tokens);
  const usage: ModelUsage = { input, output, total: num(raw.total_tokens) || input + output };
  if (cached) usage.cacheRead = cached;
  return usage;
}

/** Our transcript messages as Chat Completions messages (thinking stays out; tools map to tool_calls/tool). */
export function toOpenAiMessages(system: string | undefined, messages: readonly ModelMessage[]): OpenAiMessage[] {
  const out: OpenAiMessage[] = [];
  if (system) out.push({ role: 'system', content: system });
  for (const m of messages) {
    if (m.role === 'user') {
      if (typeof m.content === 'string') {
        out.push({ role: 'user', content: m.content });
      } else {
        out.push({
          role: 'user',
          content: m.content.map((p) =>
            p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: { url: `data:${p.mimeType};base64,${p.data}` } },
          ),
        });
      }
    } else if (m.role === 'assistant') {
      const text = textOf(m.content);
      const toolCalls = m.content.flatMap((p) =>
        p.type === 'toolCall' ? [{ id: p.id, type: 'function', function: { name: p.name, arguments: JSON.stringify(p.arguments) } }] : [],
      );
      if (!text && !toolCalls.length) continue;
      const msg: OpenAiMessage = { role: 'assistant', content: text || null };
      if (toolCalls.length) msg.tool_calls = toolCalls;
      out.push(msg);
    } else {
      out.push({ role: 'tool', tool_call_id: m.toolCallId, content: textOf(m.content) });
    }
  }
  return out;
}
