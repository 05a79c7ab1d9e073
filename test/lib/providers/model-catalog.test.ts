import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../lib/errors.js';
import { ModelCatalog } from '../../../lib/providers/model-catalog.js';

function unavailable(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('UNAVAILABLE');
    return (err as GatewayError).message;
  }
  throw new Error('expected UNAVAILABLE');
}

describe('ModelCatalog', () => {
  it('says what to configure when no model or provider is set up', () => {
    const catalog = new ModelCatalog({ env: {} });
    expect(unavailable(() => catalog.resolve(undefined, 'main'))).toBe(
      'no model configured for agent "main": set agents.defaults.model to "<provider>/<model>" and models.providers.<provider> (baseUrl, apiKey ("${VAR}" reads the environment), api: "openai-completions" | "anthropic-messages")',
    );
    expect(unavailable(() => catalog.resolve('gpt-4o', 'main'))).toContain('is not "<provider>/<model>"');
    expect(unavailable(() => catalog.resolve('acme/x', 'main'))).toContain('unknown model provider "acme": add models.providers.acme');
    expect(unavailable(() => catalog.resolve('openai/gpt-4o', 'main'))).toBe(
      'model provider "openai" has no API key: set models.providers.openai.apiKey ("${VAR}" reads the environment), or OPENAI_API_KEY in the gateway\'s environment',
    );
    const named = new ModelCatalog({ env: {}, providers: { corp: { baseUrl: 'http://x/v1', apiKeyEnv: 'CORP_KEY' } } });
    expect(unavailable(() => named.resolve('corp/m', 'main'))).toBe("models.providers.corp.apiKeyEnv names CORP_KEY, which is not set in the gateway's environment");
  });

  it('builds providers from config and well-known defaults, with context sizes', () => {
    const catalog = new ModelCatalog({
      env: { ANTHROPIC_API_KEY: 'a', CORP_KEY: 'c' },
      providers: {
        corp: { baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'CORP_KEY', models: [{ id: 'big', contextWindow: 32000, maxTokens: 2000 }] },
        claude: { baseUrl: 'http://127.0.0.1:9', api: 'anthropic-messages', apiKey: 'k' },
      },
    });
    const corp = catalog.resolve('corp/big', 'main');
    expect(corp).toMatchObject({ model: 'big', ref: 'corp/big', contextTokens: 32000, maxTokens: 2000 });
    expect(corp.provider).toMatchObject({ id: 'corp', api: 'openai-completions' });
    expect(catalog.resolve('corp/other', 'main').contextTokens).toBe(128_000);
    expect(catalog.resolve('claude/sonnet', 'main').provider.api).toBe('anthropic-messages');
    expect(catalog.resolve('anthropic/claude-sonnet', 'main')).toMatchObject({ contextTokens: 200_000, provider: { id: 'anthropic', api: 'anthropic-messages' } });
    expect(catalog.resolve('ollama/llama3', 'main').provider.api).toBe('openai-completions');
    expect(catalog.resolve('corp/big', 'main').provider).toBe(corp.provider);
  });
});
