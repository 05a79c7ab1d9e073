/**
 * What the agent runner needs from a model API: one streaming call per turn. Messages use one
 * provider-neutral shape, which is also what session transcripts store (`message` of each line).
 */

import type { ThinkingLevel } from '../protocol/generated/types.js';

export type { ThinkingLevel };

export const THINKING_LEVELS: readonly ThinkingLevel[] = ['off', 'minimal', 'low', 'medium', 'high'];

/** The wire API a provider speaks (`models.providers.<id>.api`). */
export type ProviderApi = 'openai-completions' | 'anthropic-messages';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
  /** Base64 bytes. */
  data: string;
  mimeType: string;
}

export interface ThinkingPart {
  type: 'thinking';
  thinking: string;
  /** Anthropic's signature; thinking blocks go back to the model only with it. */
  signature?: string;
}

export interface ToolCallPart {
  type: 'toolCall';
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ModelUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  total: number;
}

/**
 * Why an assistant message ended: the model's own reasons (`stop`, `length`, `toolUse`), or ours
 * (`aborted`, `timeout`, `error`, `injected` for chat.inject notes).
 */
export type StopReason = 'stop' | 'length' | 'toolUse' | 'aborted' | 'timeout' | 'error' | 'injected';

export interface UserMessage {
  role: 'user';
  content: string | Array<TextPart | ImagePart>;
  timestamp: number;
}

export interface AssistantMessage {
  role: 'assistant';
  content: Array<TextPart | ThinkingPart | ToolCallPart>;
  timestamp: number;
  stopReason: StopReason;
  provider?: string;
  model?: string;
  usage?: ModelUsage;
  errorMessage?: string;
  /** chat.inject notes carry the caller's label. */
  label?: string;
}

export interface ToolResultMessage {
  role: 'toolResult';
  toolCallId: string;
  toolName: string;
  content: TextPart[];
  isError: boolean;
  timestamp: number;
}

export type ModelMessage = UserMessage | AssistantMessage | ToolResultMessage;

/** A tool as the model sees it: name, description, JSON Schema of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  model: string;
  system?: string;
  messages: ModelMessage[];
  tools?: ToolSpec[];
  /** Output token limit; providers that require one fall back to their own default. */
  maxTokens?: number;
  thinking?: ThinkingLevel;
  /** Aborting ends the stream promptly with an error (the caller knows it aborted). */
  signal?: AbortSignal;
}

/** One increment of a streamed reply. Tool calls arrive complete, after their arguments streamed. */
export type ModelStreamEvent =
  | { type: 'text'; delta: string }
  | { type: 'thinking'; delta: string; signature?: string }
  | { type: 'toolCall'; id: string; name: string; argumentsJson: string }
  | { type: 'usage'; usage: ModelUsage }
  | { type: 'stop'; reason: 'stop' | 'length' | 'toolUse' };

/**
 * A model API. `stream` yields the reply as it arrives and throws a GatewayError (code
 * UNAVAILABLE, `details.reason` one of `auth`, `rate_limit`, `unreachable`, `timeout`,
 * `upstream`, `bad_request`, `aborted`) when the call fails.
 */
export interface ModelProvider {
  readonly id: string;
  readonly api: ProviderApi;
  stream(request: ModelRequest): AsyncIterable<ModelStreamEvent>;
}

export function textOf(content: UserMessage['content'] | AssistantMessage['content'] | ToolResultMessage['content']): string {
  if (typeof content === 'string') return content;
  let out = '';
  for (const part of content) if (part.type === 'text') out += part.text;
  return out;
}
