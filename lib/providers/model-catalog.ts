import { GatewayError } from '../errors.js';
import type { OpenClawConfig } from '../protocol/generated/config.js';
import { DeferredProvider } from './deferred-provider.js';
import type { ModelProvider, ProviderApi } from './model-provider.js';
import type { ProviderHttpOptions } from './provider-stream.js';
import type { ModelChoice } from '../protocol/generated/types.js';
import { splitModelRef } from './model-ref.js';

export type ProviderConfig = NonNullable<NonNullable<OpenClawConfig['models']>['providers']>[string];

/** A model ready to call, with the numbers history trimming needs. */
export interface ResolvedModel {
  provider: ModelProvider;
  /** Model id sent to the provider. */
  model: string;
  /** `provider/model`. */
  ref: string;
  contextTokens: number;
  maxTokens?: number;
}

/** Turns a `provider/model` reference into a callable model, or says what to configure. */
export interface ModelResolver {
  resolve(ref: string | undefined, agentId: string): ResolvedModel;
  /** The models it knows by name (`models.list`); without it only the agents' own refs are listed. */
  list?(): ModelChoice[];
  /** Price per million tokens of `provider/model`, when the catalog has one (`usage.cost`). */
  priceOf?(ref: string): ModelPrice | undefined;
  /** Where each provider that authenticates gets its credential (`models.authStatus`); never the key itself. */
  credentials?(): ProviderCredential[];
}

/** A provider's API key: configured, from the environment, or missing though the provider needs one. */
export interface ProviderCredential {
  provider: string;
  source: 'config' | 'env' | 'missing';
  /** The environment variable it is (or would be) read from. */
  envVar?: string;
}

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface ModelCatalogOptions extends ProviderHttpOptions {
  /** `models.providers`. */
  providers?: Record<string, ProviderConfig>;
  /** Where `apiKeyEnv` (and the well-known `<ID>_API_KEY` names) are looked up. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Provider instances supplied by an embedder; they win over configured ones with the same id. */
  custom?: Record<string, ModelProvider>;
  /** Context budget for models that declare no `contextWindow`. */
  defaultContextTokens?: number;
}

interface KnownProvider {
  baseUrl: string;
  api: ProviderApi;
  keyEnv?: string;
  keyRequired: boolean;
}

/** Providers usable without a `models.providers` entry (the API key comes from the environment). */
const KNOWN: Record<string, KnownProvider> = {
  openai: { baseUrl: 'https://api.openai.com/v1', api: 'openai-completions', keyEnv: 'OPENAI_API_KEY', keyRequired: true },
  anthropic: { baseUrl: 'https://api.anthropic.com', api: 'anthropic-messages', keyEnv: 'ANTHROPIC_API_KEY', keyRequired: true },
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', api: 'openai-completions', keyEnv: 'OPENROUTER_API_KEY', keyRequired: true },
  ollama: { baseUrl: 'http://127.0.0.1:11434/v1', api: 'openai-completions', keyRequired: false },
  lmstudio: { baseUrl: 'http://127.0.0.1:1234/v1', api: 'openai-completions', keyRequired: false },
  vllm: { baseUrl: 'http://127.0.0.1:8000/v1', api: 'openai-completions', keyRequired: false },
};

const CONFIGURE_HINT = 'set agents.defaults.model to "<provider>/<model>" and models.providers.<provider> (baseUrl, apiKey ("${VAR}" reads the environment), api: "openai-completions" | "anthropic-messages")';

/** `models.providers` plus the well-known providers, resolved lazily and cached per provider id. */
export class ModelCatalog implements ModelResolver {
  readonly #options: ModelCatalogOptions;
  readonly #built = new Map<string, ModelProvider>();

  constructor(options: ModelCatalogOptions = {}) {
    this.#options = options;
  }

  static fromConfig(config: OpenClawConfig, options: Omit<ModelCatalogOptions, 'providers' | 'defaultContextTokens'> = {}): ModelCatalog {
    return new ModelCatalog({ ...options, providers: config.models?.providers, defaultContextTokens: config.agents?.defaults?.contextTokens });
  }

  resolve(ref: string | undefined, agentId: string): ResolvedModel {
    if (!ref?.trim()) throw unavailable(`no model configured for agent "${agentId}": ${CONFIGURE_HINT}`);
    const slash = ref.indexOf('/');
    if (slash <= 0 || slash === ref.length - 1) {
      throw unavailable(`model "${ref}" of agent "${agentId}" is not "<provider>/<model>": ${CONFIGURE_HINT}`);
    }
    const providerId = ref.slice(0, slash);
    const model = ref.slice(slash + 1);
    const config = this.#options.providers?.[providerId];
    const provider = this.#provider(providerId, config);
    const entry = config?.models?.find((m) => m.id === model);
    const contextTokens = entry?.contextWindow ?? this.#options.defaultContextTokens ?? (provider.api === 'anthropic-messages' ? 200_000 : 128_000);
    return { provider, model, ref, contextTokens, ...(entry?.maxTokens === undefined ? {} : { maxTokens: entry.maxTokens }) };
  }

  /** Every model `models.providers.<id>.models` declares, as `models.list` shows them. */
  list(): ModelChoice[] {
    const out: ModelChoice[] = [];
    for (const [provider, config] of Object.entries(this.#options.providers ?? {})) {
      for (const m of config.models ?? []) {
        const choice: ModelChoice = { id: m.id, name: m.name ?? m.id, provider };
        if (m.contextWindow !== undefined) choice.contextWindow = m.contextWindow;
        if (m.reasoning !== undefined) choice.reasoning = m.reasoning;
        if (m.input) choice.input = m.input;
        out.push(choice);
      }
    }
    return out;
  }

  /**
   * Configured providers, then the well-known ones whose key is in the environment. A provider
   * that needs no key (a local server) has nothing to report.
   */
  credentials(): ProviderCredential[] {
    const env = this.#options.env ?? {};
    const out: ProviderCredential[] = [];
    const seen = new Set<string>();
    const consider = (id: string, config: ProviderConfig | undefined) => {
      seen.add(id);
      const known = KNOWN[id];
      if (config?.apiKey) return out.push({ provider: id, source: 'config' });
      const envVar = config?.apiKeyEnv ?? known?.keyEnv;
      if (envVar && env[envVar]) return out.push({ provider: id, source: 'env', envVar });
      if (config?.apiKeyEnv || known?.keyRequired) out.push({ provider: id, source: 'missing', ...(envVar ? { envVar } : {}) });
      return undefined;
    };
    for (const [id, config] of Object.entries(this.#options.providers ?? {})) consider(id, config);
    for (const [id, known] of Object.entries(KNOWN)) if (!seen.has(id) && known.keyEnv && env[known.keyEnv]) consider(id, undefined);
    return out;
  }

  priceOf(ref: string): ModelPrice | undefined {
    const { model, modelProvider } = splitModelRef(ref);
    if (!modelProvider) return undefined;
    const entry = this.#options.providers?.[modelProvider]?.models?.find((m) => m.id === model);
    const cost = entry?.cost;
    if (cost?.input === undefined || cost.output === undefined) return undefined;
    return { input: cost.input, output: cost.output, ...(cost.cacheRead === undefined ? {} : { cacheRead: cost.cacheRead }), ...(cost.cacheWrite === undefined ? {} : { cacheWrite: cost.cacheWrite }) };
  }

  /** A provider is built on first use, so a missing key only fails the agents that need it. */
  #provider(id: string, config: ProviderConfig | undefined): ModelProvider {
    const custom = this.#options.custom?.[id];
    if (custom) return custom;
    const cached = this.#built.get(id);
    if (cached) return cached;
    const known = KNOWN[id];
    if (!config && !known) {
      throw unavailable(`unknown model provider "${id}": add models.providers.${id} with baseUrl, apiKey ("\${VAR}" reads the environment), and api ("openai-completions" | "anthropic-messages")`);
    }
    const api = config?.api ?? known?.api ?? 'openai-completions';
    const baseUrl = config?.baseUrl ?? known?.baseUrl;
    if (!baseUrl) throw unavailable(`models.providers.${id} has no baseUrl: set it to the API base URL (for example http://127.0.0.1:11434/v1)`);
    const apiKey = this.#apiKey(id, config, known);
    const http: ProviderHttpOptions = {
      fetch: this.#options.fetch,
      clock: this.#options.clock,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      idleTimeoutMs: this.#options.idleTimeoutMs,
    };
    const provider = new DeferredProvider(api === 'anthropic-messages' ? api : 'openai-completions', { ...http, id, baseUrl, apiKey });
    this.#built.set(id, provider);
    return provider;
  }

  #apiKey(id: string, config: ProviderConfig | undefined, known: KnownProvider | undefined): string | undefined {
    if (config?.apiKey) return config.apiKey;
    const env = this.#options.env ?? {};
    if (config?.apiKeyEnv) {
      const value = env[config.apiKeyEnv];
      if (!value) throw unavailable(`models.providers.${id}.apiKeyEnv names ${config.apiKeyEnv}, which is not set in the gateway's environment`);
      return value;
    }
    const fromEnv = known?.keyEnv ? env[known.keyEnv] : undefined;
    if (fromEnv) return fromEnv;
    if (known?.keyRequired) {
      throw unavailable(`model provider "${id}" has no API key: set models.providers.${id}.apiKey ("\${VAR}" reads the environment), or ${known.keyEnv} in the gateway's environment`);
    }
    return undefined;
  }
}

function unavailable(message: string): GatewayError {
  return new GatewayError('UNAVAILABLE', message, { details: { reason: 'not_configured' } });
}
