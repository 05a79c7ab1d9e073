import { loadOnce } from '../load-once.js';
import type { AnthropicMessagesProviderOptions } from './anthropic-messages-provider.js';
import type { ModelProvider, ModelRequest, ModelStreamEvent, ProviderApi } from './model-provider.js';
import type { OpenAiChatProviderOptions } from './openai-chat-provider.js';

/**
 * A configured provider whose implementation (request building, HTTP, SSE parsing) is imported at
 * its first call: resolving a model (at start, for the log line; at each run) loads none of it.
 */
export class DeferredProvider implements ModelProvider {
  readonly id: string;
  readonly api: ProviderApi;
  readonly #provider: () => Promise<ModelProvider>;

  constructor(api: ProviderApi, options: OpenAiChatProviderOptions & AnthropicMessagesProviderOptions & { id: string }) {
    this.id = options.id;
    this.api = api;
    this.#provider = loadOnce(async () =>
      api === 'anthropic-messages'
        ? new (await import('./anthropic-messages-provider.js')).AnthropicMessagesProvider(options)
        : new (await import('./openai-chat-provider.js')).OpenAiChatProvider(options),
    );
  }

  async *stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    yield* (await this.#provider()).stream(request);
  }
}
