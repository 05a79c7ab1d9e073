import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { FallbackModelProvider, resolveModelChain } from '../../../lib/providers/fallback-provider.js';
import { ModelCatalog } from '../../../lib/providers/model-catalog.js';
import type { ResolvedModel } from '../../../lib/providers/model-catalog.js';
import type { ModelProvider, ModelRequest, ModelStreamEvent } from '../../../lib/providers/model-provider.js';

/** A provider whose replies the test scripts: the text to stream, then maybe a failure. */
function scripted(id: string, script: { text?: string; fail?: string; reason?: string }, seen: string[]): ResolvedModel {
  const provider: ModelProvider = {
    id,
    api: 'openai-completions',
    async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
      seen.push(`${id}:${request.model}`);
      if (script.text) yield { type: 'text', delta: script.text };
      if (script.fail) throw new GatewayError('UNAVAILABLE', script.fail, { details: { reason: script.reason ?? 'upstream' } });
      yield { type: 'stop', reason: 'stop' };
    },
  };
  return { provider, model: `${id}-model`, ref: `${id}/${id}-model`, contextTokens: 8000 };
}

async function collect(provider: ModelProvider, signal?: AbortSignal): Promise<string> {
  let text = '';
  for await (const event of provider.stream({ model: 'ignored', messages: [{ role: 'user', content: 'hi', timestamp: 0 }], ...(signal ? { signal } : {}) })) {
    if (event.type === 'text') text += event.delta;
  }
  return text;
}

describe('FallbackModelProvider', () => {
  it('moves to the next model when one fails before any output, with that model\'s own id', async () => {
    const seen: string[] = [];
    const fallbacks: string[] = [];
    const provider = new FallbackModelProvider(
      [scripted('a', { fail: 'rate limited', reason: 'rate_limit' }, seen), scripted('b', { fail: 'down', reason: 'unreachable' }, seen), scripted('c', { text: 'from c' }, seen)],
      (from, to) => fallbacks.push(`${from.ref} -> ${to.ref}`),
    );
    expect(await collect(provider)).toBe('from c');
    expect(seen).toEqual(['a:a-model', 'b:b-model', 'c:c-model']);
    expect(fallbacks).toEqual(['a/a-model -> b/b-model', 'b/b-model -> c/c-model']);
  });

  it('does not retry once output streamed, nor after an abort, and the last failure is the caller\'s', async () => {
    const seen: string[] = [];
    const midway = new FallbackModelProvider([scripted('a', { text: 'half', fail: 'cut off' }, seen), scripted('b', { text: 'never' }, seen)]);
    await expect(collect(midway)).rejects.toThrow('cut off');
    const aborted = new FallbackModelProvider([scripted('a', { fail: 'aborted', reason: 'aborted' }, seen), scripted('b', { text: 'never' }, seen)]);
    await expect(collect(aborted)).rejects.toThrow('aborted');
    const allDown = new FallbackModelProvider([scripted('a', { fail: 'first' }, seen), scripted('b', { fail: 'second' }, seen)]);
    await expect(collect(allDown)).rejects.toThrow('second');
    expect(seen.filter((s) => s.startsWith('b'))).toEqual(['b:b-model']);
  });

  it('resolveModelChain: primary required, unusable fallbacks logged and skipped', () => {
    const catalog = new ModelCatalog({ providers: { local: { baseUrl: 'http://127.0.0.1:9/v1', api: 'openai-completions' } } });
    const logged: string[] = [];
    const logger = { log: (_level: string, _subsystem: string, message: string) => void logged.push(message) };
    const chain = resolveModelChain(catalog, ['local/a', 'nowhere/x', 'local/b'], 'main', logger);
    expect(chain.ref).toBe('local/a');
    expect(chain.provider).toBeInstanceOf(FallbackModelProvider);
    expect((chain.provider as FallbackModelProvider).chain.map((m) => m.ref)).toEqual(['local/a', 'local/b']);
    expect(logged).toEqual([expect.stringContaining('fallback model nowhere/x of agent main is not usable')]);
    expect(resolveModelChain(catalog, ['local/a'], 'main', logger).provider).not.toBeInstanceOf(FallbackModelProvider);
    expect(() => resolveModelChain(catalog, ['nowhere/x', 'local/a'], 'main', logger)).toThrow();
  });
});
