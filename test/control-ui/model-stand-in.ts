import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { asyncHandler } from '../helpers/async-handler.js';

/** In a stand-in script: stop streaming here until `release()` (or the client hangs up). */
export const HOLD = Symbol('hold');

/** In a stand-in script: the model asks for this tool (a streamed `tool_calls` delta). */
export interface StandInToolCall {
  toolCall: { name: string; arguments: Record<string, unknown> };
}

export type StandInStep = string | typeof HOLD | StandInToolCall;

export interface StandInRequest {
  body: { model?: string; messages?: Array<{ role: string; content: unknown; tool_call_id?: string }>; stream?: boolean; tools?: Array<{ function: { name: string } }> };
  /** Resolves when the client hung up before the reply was complete (an aborted run). */
  aborted: Promise<void>;
}

/**
 * A local OpenAI-compatible Chat Completions server (`POST /v1/chat/completions`, SSE) that
 * streams a scripted reply. `HOLD` pauses the stream until the test calls `release()`, so a test
 * can look at a half-streamed reply, or abort it, without depending on timing. A step with a
 * `toolCall` ends that reply with `finish_reason: "tool_calls"`; the agent's next request (with the
 * tool result) gets the next script in `queue`, else `script`.
 */
export class ModelStandIn {
  readonly requests: StandInRequest[] = [];
  script: StandInStep[] = ['Hello'];
  /** Scripts for the next requests, one each, before `script` applies again. */
  queue: StandInStep[][] = [];
  #server: Server = createServer(asyncHandler('model stand-in', (req, res) => this.#handle(req, res)));
  #gate = deferred();
  #port = 0;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}/v1`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Lets every held stream go on. */
  release(): void {
    this.#gate.resolve();
    this.#gate = deferred();
  }

  async close(): Promise<void> {
    this.#gate.resolve();
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const aborted = deferred();
    let finished = false;
    res.once('close', () => {
      if (!finished) aborted.resolve();
    });
    this.requests.push({ body: JSON.parse(text) as StandInRequest['body'], aborted: aborted.promise });
    const id = `chatcmpl-standin-${this.requests.length}`;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: 'stand-in', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(chunk({ role: 'assistant' }));
    const script = this.queue.shift() ?? this.script;
    let calls = 0;
    for (const step of script) {
      if (step === HOLD) {
        await Promise.race([this.#gate.promise, aborted.promise]);
        if (res.destroyed) return;
      } else if (typeof step === 'string') {
        res.write(chunk({ content: step }));
      } else {
        const { name, arguments: args } = step.toolCall;
        res.write(chunk({ tool_calls: [{ index: calls, id: `call_standin_${this.requests.length}_${calls}`, type: 'function', function: { name, arguments: JSON.stringify(args) } }] }));
        calls++;
      }
    }
    res.write(chunk({}, calls ? 'tool_calls' : 'stop'));
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } })}\n\n`);
    res.write('data: [DONE]\n\n');
    finished = true;
    res.end();
  }
}

/** `Promise.withResolvers` for Node 20. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
