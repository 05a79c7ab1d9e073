import { GatewayError } from '../errors.js';
import type { AgentPendingToolCall, AgentReplyPayload } from '../protocol/generated/types.js';
import type { AssistantMessage, ImagePart, ModelUsage, ThinkingLevel, ToolSpec } from '../providers/model-provider.js';
import type { ResolvedModel } from '../providers/model-catalog.js';
export type AbortReason = 'rpc' | 'stop' | 'timeout' | 'shutdown';

/** One turn to run: a message into a session, and how to run it. */
export interface AgentRunRequest {
  /** The caller's idempotency key. */
  runId: string;
  agentId: string;
  /** Canonical session key (see `canonicalSessionKey`). */
  sessionKey: string;
  message: string;
  images?: ImagePart[];
  thinking?: ThinkingLevel;
  extraSystemPrompt?: string;
  /** `provider/model` override. */
  model?: string;
  /** Deadline once the run starts; 0 disables it. Default: the agent settings' timeout. */
  timeoutMs?: number;
  /** Output token limit per model call; default: the model's `maxTokens`. */
  maxOutputTokens?: number;
  /** A new session id for the key (`--session-id`). */
  sessionId?: string;
  /** The session key as the caller spelled it (`main`); chat events echo it. */
  clientSessionKey?: string;
  /** Tools the caller runs itself (OpenResponses function tools): a call to one ends the run with `pendingToolCalls`. */
  clientTools?: ToolSpec[];
  /** Results for client tool calls of an earlier turn, appended before the message. */
  toolResults?: Array<{ toolCallId: string; output: string }>;
  label?: string;
  channel?: string;
  to?: string;
  accountId?: string;
  spawnedBy?: string;
}

export interface AgentRunResult {
  runId: string;
  agentId: string;
  sessionKey: string;
  /** `ok` also for runs aborted on request (`aborted: true`); timeouts and failures are `error`. */
  status: 'ok' | 'error';
  startedAt: number;
  endedAt: number;
  sessionId?: string;
  provider: string;
  model: string;
  usage?: ModelUsage;
  payloads: AgentReplyPayload[];
  aborted: boolean;
  abortReason?: AbortReason;
  stopReason?: string;
  pendingToolCalls?: AgentPendingToolCall[];
  error?: GatewayError;
  /** The last assistant message the run wrote. */
  lastMessage?: AssistantMessage;
}

/** What the runner updates while a run goes; AgentRun exposes it read-only. Internal to the runner. */
export interface RunState {
  phase: 'queued' | 'running' | 'done';
  seq: number;
  text: string;
  usage?: ModelUsage;
  lastMessage?: AssistantMessage;
  abortReason?: AbortReason;
  readonly controller: AbortController;
  settle(result: AgentRunResult): void;
  markStarted(): void;
}

/** A started run: its progress, its completion, and how to stop it. */
export class AgentRun {
  readonly runId: string;
  readonly agentId: string;
  readonly sessionKey: string;
  readonly request: AgentRunRequest;
  readonly model: ResolvedModel;
  readonly acceptedAt: number;
  /** Resolves once the user's message is on disk, or the run waits behind another one, or failed. */
  readonly started: Promise<void>;
  readonly done: Promise<AgentRunResult>;
  readonly #state: RunState;

  /** Built by AgentRunner.start(); `bind` hands the runner the state it alone updates. */
  constructor(request: AgentRunRequest, model: ResolvedModel, acceptedAt: number, bind: (state: RunState) => void, onStarted?: (run: AgentRun) => void) {
    this.runId = request.runId;
    this.agentId = request.agentId;
    this.sessionKey = request.sessionKey;
    this.request = request;
    this.model = model;
    this.acceptedAt = acceptedAt;
    let resolveStarted!: () => void;
    let settle!: (result: AgentRunResult) => void;
    this.started = new Promise((resolve) => (resolveStarted = resolve));
    this.done = new Promise((resolve) => (settle = resolve));
    let callback = onStarted;
    this.#state = {
      phase: 'queued',
      seq: 0,
      text: '',
      controller: new AbortController(),
      settle,
      // Once: the caller's onStarted runs right away, before any event of the run goes out.
      markStarted: () => {
        const pending = callback;
        callback = undefined;
        resolveStarted();
        pending?.(this);
      },
    };
    bind(this.#state);
  }

  get phase(): 'queued' | 'running' | 'done' {
    return this.#state.phase;
  }

  get aborted(): boolean {
    return this.#state.controller.signal.aborted;
  }

  get abortReason(): AbortReason | undefined {
    return this.#state.abortReason;
  }

  /** The assistant text streamed so far in the current message. */
  get text(): string {
    return this.#state.text;
  }

  /** The last assistant message the run wrote. */
  get lastMessage(): AssistantMessage | undefined {
    return this.#state.lastMessage;
  }

  /** Token usage of the model calls so far. */
  get usage(): ModelUsage | undefined {
    return this.#state.usage;
  }

  /** Stops the run (or drops it from the queue); what was written stays consistent. */
  abort(reason: AbortReason = 'rpc'): void {
    const state = this.#state;
    if (state.phase === 'done' || state.controller.signal.aborted) return;
    state.abortReason = reason;
    state.controller.abort();
  }
}

/** A failure as the GatewayError a run reports (UNAVAILABLE unless it is one already). */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('UNAVAILABLE', err instanceof Error ? err.message : String(err), { cause: err });
}
