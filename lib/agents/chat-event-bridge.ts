import type { TimerHandle } from '../clock.js';
import type { GatewayHost } from '../plugin.js';
import type { AgentEventPayload, ChatEventPayload } from '../protocol/generated/types.js';
import { textOf } from '../providers/model-provider.js';
import type { AgentRun, AgentRunner } from './agent-runner.js';

export interface ChatEventBridgeOptions {
  /** Least time between two `delta` events of one run. Default 150 ms (docs/protocol.md, Agent runs). */
  throttleMs?: number;
}

interface DeltaState {
  sentAt: number;
  /** A delta held back by the throttle: sent when the window ends, so a pause mid-reply still shows all text so far. */
  trailing?: TimerHandle;
}

/**
 * Turns `agent` events into the `chat` events WebChat and the Control UI listen to: throttled
 * deltas with the text so far, then one `final`, `aborted` or `error` per run.
 */
export class ChatEventBridge {
  readonly #gateway: GatewayHost;
  readonly #throttleMs: number;
  readonly #deltas = new Map<string, DeltaState>();
  readonly #unsubscribe: () => void;

  constructor(gateway: GatewayHost, runner: AgentRunner, options: ChatEventBridgeOptions = {}) {
    this.#gateway = gateway;
    this.#throttleMs = options.throttleMs ?? 150;
    this.#unsubscribe = runner.onEvent((event, run) => this.#onEvent(event, run));
  }

  close(): void {
    this.#unsubscribe();
    for (const runId of [...this.#deltas.keys()]) this.#endDeltas(runId);
  }

  #onEvent(event: AgentEventPayload, run: AgentRun): void {
    const base = { runId: run.runId, sessionKey: run.request.clientSessionKey ?? run.sessionKey, seq: event.seq };
    const now = this.#gateway.clock.now();
    if (event.stream === 'assistant') {
      const text = typeof event.data.text === 'string' ? event.data.text : run.text;
      const delta = () => this.#send({ ...base, state: 'delta', message: { role: 'assistant', content: [{ type: 'text', text }], timestamp: this.#gateway.clock.now() } });
      const state = this.#deltas.get(run.runId);
      if (state !== undefined && now - state.sentAt < this.#throttleMs) {
        if (state.trailing !== undefined) this.#gateway.clock.clearTimeout(state.trailing);
        state.trailing = this.#gateway.clock.setTimeout(() => {
          state.trailing = undefined;
          // The run ended meanwhile (its final went out): an older text must not follow it.
          if (this.#deltas.get(run.runId) !== state) return;
          state.sentAt = this.#gateway.clock.now();
          delta();
        }, this.#throttleMs - (now - state.sentAt) + 1);
        return;
      }
      // A newer text goes out now: a held-back older one must not follow it.
      if (state?.trailing !== undefined) this.#gateway.clock.clearTimeout(state.trailing);
      this.#deltas.set(run.runId, { sentAt: now });
      delta();
      return;
    }
    if (event.stream !== 'lifecycle' || event.data.phase === 'start') return;
    // The final event carries the whole text: a held-back delta would only arrive after it.
    this.#endDeltas(run.runId);
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

  #endDeltas(runId: string): void {
    const trailing = this.#deltas.get(runId)?.trailing;
    if (trailing !== undefined) this.#gateway.clock.clearTimeout(trailing);
    this.#deltas.delete(runId);
  }

  #send(payload: ChatEventPayload): void {
    this.#gateway.broadcast('chat', payload);
  }
}
