import type { ModelMessage, ModelProvider, ModelRequest, ModelStreamEvent, ModelUsage, ProviderApi, ThinkingLevel } from './model-provider.js';
import { textOf } from './model-provider.js';
import { joinUrl, parseEventJson, providerError, streamProviderEvents, type ProviderHttpOptions } from './provider-stream.js';

export interface AnthropicMessagesProviderOptions extends ProviderHttpOptions {
  /** Provider id used in messages and results. Default `anthropic`. */
  id?: string;
  /** `https://api.anthropic.com` (with or without `/v1`). */
  baseUrl?: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** Output limit when the request names none (the Messages API requires one). Default 8192. */
  defaultMaxTokens?: number;
}

export const ANTHROPIC_VERSION = '2023-06-01';

const THINKING_BUDGET: Record<Exclude<ThinkingLevel, 'off'>, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384 };

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/** Anthropic Messages API (`POST /v1/messages`, `stream: true`) with tool use and extended thinking. */
export class AnthropicMessagesProvider implements ModelProvider {
  readonly id: string;
  readonly api: ProviderApi = 'anthropic-messages';
  readonly #options: AnthropicMessagesProviderOptions;

  constructor(options: AnthropicMessagesProviderOptions = {}) {
    this.id = options.id ?? 'anthropic';
    this.#options = options;
  }

  async *stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const o = this.#options;
    let maxTokens = request.maxTokens ?? o.defaultMaxTokens ?? 8192;
    const body: Record<string, unknown> = {
      model: request.model,
      messages: toAnthropicMessages(request.messages),
      stream: true,
    };
    if (request.system) body.system = request.system;
    if (request.tools?.length) {
      body.tools = request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
    }
    if (request.thinking && request.thinking !== 'off') {
      const budget = THINKING_BUDGET[request.thinking];
      body.thinking = { type: 'enabled', budget_tokens: budget };
      maxTokens = Math.max(maxTokens, budget + 4096);
    }
    body.max_tokens = maxTokens;

    const base = o.baseUrl ?? 'https://api.anthropic.com';
    const url = /\/v1\/?$/.test(base) ? joinUrl(base, 'messages') : joinUrl(base, 'v1/messages');
    const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, ...o.headers };
    if (o.apiKey) headers['x-api-key'] = o.apiKey;

    const blocks = new Map<number, { type: string; id?: string; name?: string; json: string }>();
    const usage: ModelUsage = { input: 0, output: 0, total: 0 };
    let sawUsage = false;
    let stopReason: string | undefined;
    let stopped = false;
    for await (const event of streamProviderEvents({ provider: this.id, url, headers, body, signal: request.signal }, o)) {
      const data = parseEventJson(this.id, event);
      switch (data.type) {
        case 'message_start': {
          const u = ((data.message as Record<string, unknown> | undefined)?.usage ?? {}) as Record<string, unknown>;
          addUsage(usage, u);
          sawUsage = true;
          break;
        }
        case 'content_block_start': {
          const block = (data.content_block ?? {}) as Record<string, unknown>;
          blocks.set(Number(data.index), {
            type: String(block.type),
            id: typeof block.id === 'string' ? block.id : undefined,
            name: typeof block.name === 'string' ? block.name : undefined,
            json: '',
          });
          if (block.type === 'text' && typeof block.text === 'string' && block.text) yield { type: 'text', delta: block.text };
          break;
        }
        case 'content_block_delta': {
          const delta = (data.delta ?? {}) as Record<string, unknown>;
          const block = blocks.get(Number(data.index));
          if (delta.type === 'text_delta' && typeof delta.text === 'string') yield { type: 'text', delta: delta.text };
          else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') yield { type: 'thinking', delta: delta.thinking };
          else if (delta.type === 'signature_delta' && typeof delta.signature === 'string') yield { type: 'thinking', delta: '', signature: delta.signature };
          else if (delta.type === 'input_json_delta' && block && typeof delta.partial_json === 'string') block.json += delta.partial_json;
          break;
        }
        case 'content_block_stop': {
          const block = blocks.get(Number(data.index));
          if (block?.type === 'tool_use') {
            yield { type: 'toolCall', id: block.id ?? `toolu_${Number(data.index)}`, name: block.name ?? '', argumentsJson: block.json || '{}' };
          }
          break;
        }
        case 'message_delta': {
          const delta = (data.delta ?? {}) as Record<string, unknown>;
          if (typeof delta.stop_reason === 'string') stopReason = delta.stop_reason;
          if (data.usage && typeof data.usage === 'object') {
            addUsage(usage, data.usage as Record<string, unknown>);
            sawUsage = true;
          }
          break;
        }
        case 'message_stop':
          stopped = true;
          break;
        case 'error': {
          const error = (data.error ?? {}) as { type?: unknown; message?: unknown };
          const overloaded = error.type === 'overloaded_error';
          const rateLimited = error.type === 'rate_limit_error';
          throw providerError(
            this.id,
            rateLimited ? 'rate_limit' : 'upstream',
            `${this.id} stream failed${typeof error.type === 'string' ? ` (${error.type})` : ''}: ${typeof error.message === 'string' ? error.message : 'unknown error'}${overloaded ? '; the service is overloaded, retry later' : ''}`,
          );
        }
      }
      if (stopped) break;
    }
    if (!stopped) throw providerError(this.id, 'upstream', `${this.id} stream ended before the reply was complete`);
    if (sawUsage) {
      usage.total = usage.input + usage.output + (usage.cacheRead ?? 0) + (usage.cacheWrite ?? 0);
      yield { type: 'usage', usage };
    }
    yield { type: 'stop', reason: stopReason === 'tool_use' ? 'toolUse' : stopReason === 'max_tokens' ? 'length' : 'stop' };
  }
}

/** Usage fields arrive in message_start and again (cumulative output) in message_delta. */
function addUsage(usage: ModelUsage, raw: Record<string, unknown>): void {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? Math.max(0, Math.round(v)) : undefined);
  const input = num(raw.input_tokens);
  const output = num(raw.output_tokens);
  const cacheRead = num(raw.cache_read_input_tokens);
  const cacheWrite = num(raw.cache_creation_input_tokens);
  if (input !== undefined) usage.input = input;
  if (output !== undefined) usage.output = output;
  if (cacheRead) usage.cacheRead = cacheRead;
  if (cacheWrite) usage.cacheWrite = cacheWrite;
}

/**
 * Our transcript as Messages API turns: tool results become `tool_result` blocks of a user turn,
 * consecutive turns of one role merge (the API requires alternation), empty turns are dropped.
 */
export function toAnthropicMessages(messages: readonly ModelMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  const push = (role: 'user' | 'assistant', content: Block[]) => {
    if (!content.length) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  for (const m of messages) {
    if (m.role === 'user') {
      const parts = typeof m.content === 'string' ? [{ type: 'text' as const, text: m.content }] : m.content;
      push(
        'user',
        parts.flatMap((p): Block[] =>
          p.type === 'text' ? (p.text ? [{ type: 'text', text: p.text }] : []) : [{ type: 'image', source: { type: 'base64', media_type: p.mimeType, data: p.data } }],
        ),
      );
    } else if (m.role === 'assistant') {
      push(
        'assistant',
        m.content.flatMap((p): Block[] => {
          if (p.type === 'text') return p.text ? [{ type: 'text', text: p.text }] : [];
          if (p.type === 'thinking') return p.signature ? [{ type: 'thinking', thinking: p.thinking, signature: p.signature }] : [];
          return [{ type: 'tool_use', id: p.id, name: p.name, input: p.arguments }];
        }),
      );
    } else {
      push('user', [{ type: 'tool_result', tool_use_id: m.toolCallId, content: textOf(m.content), ...(m.isError ? { is_error: true } : {}) }]);
    }
  }
  return out;
}
