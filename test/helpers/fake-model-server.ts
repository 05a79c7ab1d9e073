import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { asyncHandler } from './async-handler.js';

/**
 * Local stand-ins for model APIs on 127.0.0.1: an OpenAI-compatible Chat Completions server and an
 * Anthropic Messages server, both streaming SSE exactly as the real services frame it. Each
 * request takes the next scripted reply (or `defaultReply`).
 */

export type FakeApi = 'openai' | 'anthropic';

export interface ScriptedToolCall {
  id: string;
  name: string;
  /** Object (sent as JSON, split over two chunks) or a raw string (for malformed JSON). */
  arguments: Record<string, unknown> | string;
}

export interface ScriptedReply {
  /** Non-2xx: answered with `errorBody` (JSON) instead of a stream. */
  status?: number;
  headers?: Record<string, string>;
  errorBody?: unknown;
  /** Text chunks, streamed in order. */
  text?: string[];
  toolCalls?: ScriptedToolCall[];
  /** Thinking chunks (Anthropic: thinking_delta + signature). */
  thinking?: string[];
  usage?: { input: number; output: number };
  /** Pause before each chunk. */
  delayMs?: number;
  /** Send this many chunks, then stop sending (the response stays open) until the server closes. */
  hangAfter?: number;
  /** Send this many chunks, then end the response without the terminator. */
  cutAfter?: number;
  /** Anthropic: an `error` event after the chunks. */
  streamError?: { type: string; message: string };
}

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export class FakeModelServer {
  readonly api: FakeApi;
  readonly requests: RecordedRequest[] = [];
  defaultReply: ScriptedReply = { text: ['ok'] };
  /** Chooses the reply from the request when the script is empty (wins over defaultReply). */
  responder?: (body: any) => ScriptedReply;
  readonly #server: Server;
  readonly #script: ScriptedReply[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #waiters = new Set<() => void>();
  /** Called with each chunk's wall-clock time as it is written (bench). */
  onChunk?: (index: number) => void;
  #port = 0;

  private constructor(api: FakeApi) {
    this.api = api;
    this.#server = createServer(asyncHandler('fake model server', (req, res) => this.#handle(req, res)));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(api: FakeApi): Promise<FakeModelServer> {
    const server = new FakeModelServer(api);
    server.#server.listen(0, '127.0.0.1');
    await once(server.#server, 'listening');
    server.#port = (server.#server.address() as AddressInfo).port;
    return server;
  }

  /** Base URL as a provider config wants it (`…/v1` for OpenAI, the origin for Anthropic). */
  get baseUrl(): string {
    return this.api === 'openai' ? `http://127.0.0.1:${this.#port}/v1` : `http://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  script(...replies: ScriptedReply[]): this {
    this.#script.push(...replies);
    return this;
  }

  /** Resolves once `count` requests have arrived in total. */
  waitForRequests(count: number, timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.requests.length >= count) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`expected ${count} model requests, got ${this.requests.length}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    this.requests.push({ path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
    for (const w of [...this.#waiters]) w();
    const reply = this.#script.shift() ?? this.responder?.(this.requests.at(-1)!.body) ?? this.defaultReply;
    if (reply.status && reply.status >= 300) {
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.errorBody ?? { error: { message: `scripted ${reply.status}`, type: 'error' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
    res.flushHeaders();
    const frames = this.api === 'openai' ? openAiFrames(reply) : anthropicFrames(reply);
    const body = frames.slice(0, frames.length - 1);
    const terminator = frames[frames.length - 1]!;
    let sent = 0;
    for (const frame of body) {
      if (reply.hangAfter !== undefined && sent >= reply.hangAfter) return;
      if (reply.cutAfter !== undefined && sent >= reply.cutAfter) {
        res.end();
        return;
      }
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (res.destroyed) return;
      res.write(frame);
      this.onChunk?.(sent);
      sent++;
    }
    if (reply.hangAfter !== undefined && sent >= reply.hangAfter) return;
    res.end(terminator);
  }
}

function data(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** Chat Completions chunks: role, text deltas, tool call pieces, finish, usage, [DONE]. */
function openAiFrames(reply: ScriptedReply): string[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: 'fake' };
  const frames = [data({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })];
  for (const t of reply.thinking ?? []) frames.push(data({ ...base, choices: [{ index: 0, delta: { reasoning_content: t }, finish_reason: null }] }));
  for (const t of reply.text ?? []) frames.push(data({ ...base, choices: [{ index: 0, delta: { content: t }, finish_reason: null }] }));
  (reply.toolCalls ?? []).forEach((call, index) => {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    const half = Math.floor(args.length / 2);
    frames.push(
      data({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: args.slice(0, half) } }] }, finish_reason: null }] }),
    );
    frames.push(data({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: args.slice(half) } }] }, finish_reason: null }] }));
  });
  frames.push(data({ ...base, choices: [{ index: 0, delta: {}, finish_reason: reply.toolCalls?.length ? 'tool_calls' : 'stop' }] }));
  const usage = reply.usage ?? { input: 10, output: 5 };
  frames.push(data({ ...base, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } }));
  frames.push('data: [DONE]\n\n');
  return frames;
}

function event(type: string, value: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...value })}\n\n`;
}

/** Messages API events: message_start, blocks (thinking, text, tool_use), message_delta, message_stop. */
function anthropicFrames(reply: ScriptedReply): string[] {
  const usage = reply.usage ?? { input: 10, output: 5 };
  const frames = [
    event('message_start', { message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model: 'fake', usage: { input_tokens: usage.input, output_tokens: 1 } } }),
    event('ping', {}),
  ];
  let index = 0;
  if (reply.thinking?.length) {
    frames.push(event('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } }));
    for (const t of reply.thinking) frames.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: t } }));
    frames.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'sig-fake' } }));
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  if (reply.text?.length) {
    frames.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    for (const t of reply.text) frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: t } }));
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  for (const call of reply.toolCalls ?? []) {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    const half = Math.floor(args.length / 2);
    frames.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } }));
    frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args.slice(0, half) } }));
    frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: args.slice(half) } }));
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  if (reply.streamError) frames.push(event('error', { error: reply.streamError }));
  frames.push(event('message_delta', { delta: { stop_reason: reply.toolCalls?.length ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } }));
  frames.push(event('message_stop', {}));
  return frames;
}
