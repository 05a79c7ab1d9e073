import type { GatewayHost } from '../plugin.js';
import type { AgentEventPayload, ChatEventPayload } from '../protocol/generated/types.js';
import { textOf } from '../providers/model-provider.js';
import type { AgentRun, AgentRunner } from './agent-runner.js';

export interface ChatEventBridgeOptions {
  /** Least time between two `delta` events of one run. Default 150 ms (docs/protocol.md, Agent runs). */
  throttleMs?: number;
}

/**
 * Turns `agent` events into the `chat` events WebChat and the Control UI listen to: throttled
 * deltas with the text so far, then one `final`, `aborted` or `error` per run.
 */
export class ChatEventBridge {
  readonly #gateway: GatewayHost;
  readonly #throttleMs: number;
  readonly #lastDelta = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(gateway: GatewayHost, runner: AgentRunner, options: ChatEventBridgeOptions = {}) {
    this.#gateway = gateway;
    this.#throttleMs = options.throttleMs ?? 150;
    this.#unsubscribe = runner.onEvent((event, run) => this.#onEvent(event, run));
  }

  close(): void {
    this.#unsubscribe();
  }

  #onEvent(event: AgentEventPayload, run: AgentRun): void {
    const base = { runId: run.runId, sessionKey: run.request.clientSessionKey ?? run.sessionKey, seq: event.seq };
    const now = this.#gateway.clock.now();
    if (event.stream === 'assistant') {
      const last = this.#lastDelta.get(run.runId);
      if (last !== undefined && now - last < this.#throttleMs) return;
      this.#lastDelta.set(run.runId, now);
      const text = typeof event.data.text === 'string' ? event.data.text : run.text;
      this.#send({ ...base, state: 'delta', message: { role: 'assistant', content: [{ type: 'text', text }], timestamp: now } });
      return;
    }
    if (event.stream !== 'lifecycle' || event.data.phase === 'start') return;
    this.#lastDelta.delete(run.runId);
    const message = run.lastMessage && textOf(run.lastMessage.content) ? { ...run.lastMessage } : undefined;
    if (event.data.phase === 'error') {
      if (run.abortReason === 'timeout') {
        this.#send({ ...base, state: 'aborted', stopReason: 'timeout', ...(message ? { message } : {}) });
      } else {
        this.#send({ ...base, state: 'error', errorMessage: String(event.data.error ?? 'agent run failed') });
      }
      return;
    }
    if (event.data.aborted) {
      this.#send({ ...base, state: 'aborted', stopReason: run.abortReason === 'stop' ? 'stop' : 'rpc', ...(message ? { message } : {}) });
      return;
    }
    this.#send({
      ...base,
      state: 'final',
      ...(message ? { message } : {}),
      ...(run.usage ? { usage: run.usage } : {}),
      ...(run.lastMessage ? { stopReason: run.lastMessage.stopReason } : {}),
    });
  }

  #send(payload: ChatEventPayload): void {
    this.#gateway.broadcast('chat', payload);
  }
}
