import { GatewayError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ModelResolver, ResolvedModel } from './model-catalog.js';
import type { ModelProvider, ModelRequest, ModelStreamEvent } from './model-provider.js';

/**
 * A primary model with fallbacks (`model: { primary, fallbacks }`): each call streams from the
 * first model that answers. A model that fails before its first event hands the call to the next
 * one; once output has streamed, a failure is the caller's, since a retry would repeat it.
 */
export class FallbackModelProvider implements ModelProvider {
  readonly id: string;
  readonly api: ModelProvider['api'];

  constructor(
    readonly chain: readonly ResolvedModel[],
    private readonly onFallback?: (from: ResolvedModel, to: ResolvedModel, error: Error) => void,
  ) {
    if (chain.length === 0) throw new TypeError('FallbackModelProvider needs at least one model');
    this.id = chain[0]!.provider.id;
    this.api = chain[0]!.provider.api;
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    for (const [index, model] of this.chain.entries()) {
      let streamed = false;
      try {
        const maxTokens = request.maxTokens === undefined ? undefined : Math.min(request.maxTokens, model.maxTokens ?? request.maxTokens);
        for await (const event of model.provider.stream({ ...request, model: model.model, ...(maxTokens === undefined ? {} : { maxTokens }) })) {
          streamed = true;
          yield event;
        }
        return;
      } catch (err) {
        const next = this.chain[index + 1];
        if (streamed || !next || request.signal?.aborted || reasonOf(err) === 'aborted') throw err;
        this.onFallback?.(model, next, err as Error);
      }
    }
  }
}

function reasonOf(err: unknown): unknown {
  return err instanceof GatewayError ? (err.details as { reason?: unknown } | undefined)?.reason : undefined;
}

/**
 * The primary model of `refs` (UNAVAILABLE when it cannot be resolved), with the fallbacks that
 * resolve behind it; fallbacks that do not are logged and left out.
 */
export function resolveModelChain(models: ModelResolver, refs: readonly string[], agentId: string, logger: Logger): ResolvedModel {
  const [primaryRef, ...fallbackRefs] = refs;
  const primary = models.resolve(primaryRef, agentId);
  const chain = [primary];
  for (const ref of fallbackRefs) {
    try {
      chain.push(models.resolve(ref, agentId));
    } catch (err) {
      logger.log('warn', 'agent', `fallback model ${ref} of agent ${agentId} is not usable: ${(err as Error).message}`);
    }
  }
  if (chain.length === 1) return primary;
  const provider = new FallbackModelProvider(chain, (from, to, err) => logger.log('warn', 'agent', `model ${from.ref} failed (${err.message}); falling back to ${to.ref}`));
  return { ...primary, provider };
}
