import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import { GatewayError, invalidRequest } from '../errors.js';
import { writeAtomic } from '../file-storage.js';
import type { Tts as TtsConfig } from '../protocol/generated/config.js';
import type { TtsConvertResult, TtsProvider, TtsStatusResult } from '../protocol/generated/types.js';
import type { Storage } from '../storage.js';

export type { TtsConfig };
export type TtsProviderId = 'openai' | 'elevenlabs' | 'edge';
type AutoMode = TtsStatusResult['auto'];

const PROVIDER_IDS: readonly TtsProviderId[] = ['openai', 'elevenlabs', 'edge'];
const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini-tts';
const DEFAULT_OPENAI_VOICE = 'alloy';
const DEFAULT_MAX_TEXT = 4096;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Channels whose voice notes want Opus (a voice bubble rather than an audio file). */
const OPUS_CHANNELS = new Set(['telegram', 'whatsapp']);

/** The providers and what they offer, as a seed-era gateway lists them (`tts.providers`). */
const CATALOG: Record<TtsProviderId, { name: string; models: string[]; voices?: string[] }> = {
  openai: {
    name: 'OpenAI',
    models: ['gpt-4o-mini-tts', 'tts-1', 'tts-1-hd'],
    voices: ['alloy', 'ash', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer'],
  },
  elevenlabs: { name: 'ElevenLabs', models: ['eleven_multilingual_v2', 'eleven_turbo_v2_5', 'eleven_monolingual_v1'] },
  edge: { name: 'Edge TTS', models: [] },
};

/** What tts.enable/disable/setProvider chose, over the config (`messages.tts`). */
interface TtsPrefs {
  auto?: AutoMode;
  provider?: TtsProviderId;
}

export interface TtsServiceOptions {
  /** `messages.tts`. */
  config?: TtsConfig;
  /** OPENAI_API_KEY, OPENAI_TTS_BASE_URL, ELEVENLABS_API_KEY / XI_API_KEY. */
  env: Record<string, string | undefined>;
  /** Where the preferences live, and `prefsKey` in it (e.g. `settings/tts.json` of the state dir). */
  prefsStorage: Storage;
  prefsKey: string;
  /** Reported as `prefsPath`. */
  prefsPath: string;
  /** Synthesized audio files go to `<audioDir>/voice-<time>-<random>.<ext>`. */
  audioDir: string;
  clock: Clock;
  fetch?: typeof fetch;
}

/**
 * Text-to-speech settings and synthesis: status and providers from `messages.tts` and the
 * environment, on/off and provider choices kept in a preferences file, and `convert` through an
 * OpenAI-compatible `/audio/speech` endpoint. ElevenLabs and Edge are reported, not spoken.
 */
export class TtsService {
  readonly #options: TtsServiceOptions;
  #prefs: TtsPrefs = {};

  constructor(options: TtsServiceOptions) {
    this.#options = options;
  }

  /** Reads the saved preferences; a damaged file keeps the config's and is reported (the next change replaces it). */
  async load(): Promise<string | undefined> {
    const raw = await this.#options.prefsStorage.read(this.#options.prefsKey);
    if (raw === undefined) return undefined;
    try {
      this.#prefs = (JSON.parse(raw) as { tts?: TtsPrefs }).tts ?? {};
    } catch (err) {
      return `TTS preferences (${this.#options.prefsPath}) unreadable (${(err as Error).message}); using the config until they are set again`;
    }
    return undefined;
  }

  status(): TtsStatusResult {
    const provider = this.#provider();
    const fallbacks = PROVIDER_IDS.filter((id) => id !== provider && this.#configured(id));
    return {
      enabled: this.#auto() !== 'off',
      auto: this.#auto(),
      provider,
      fallbackProvider: fallbacks[0] ?? null,
      fallbackProviders: fallbacks,
      prefsPath: this.#options.prefsPath,
      hasOpenAIKey: Boolean(this.#openaiKey()),
      hasElevenLabsKey: Boolean(this.#elevenLabsKey()),
      edgeEnabled: this.#options.config?.edge?.enabled !== false,
    };
  }

  providers(): { providers: TtsProvider[]; active: string } {
    return {
      providers: PROVIDER_IDS.map((id) => ({ id, ...CATALOG[id], configured: this.#configured(id) })),
      active: this.#provider(),
    };
  }

  async setEnabled(enabled: boolean): Promise<{ enabled: boolean }> {
    await this.#save({ ...this.#prefs, auto: enabled ? 'always' : 'off' });
    return { enabled };
  }

  async setProvider(provider: string): Promise<{ provider: string }> {
    const id = provider.trim().toLowerCase();
    if (!isProviderId(id)) throw invalidRequest('Invalid provider. Use openai, elevenlabs, or edge.');
    await this.#save({ ...this.#prefs, provider: id });
    return { provider: id };
  }

  /** Whether `convert` can speak now: an OpenAI key among the chosen provider and its fallbacks. */
  canSpeak(): boolean {
    const status = this.status();
    return [status.provider, ...status.fallbackProviders].includes('openai') && Boolean(this.#openaiKey());
  }

  /** Speaks `text` with the first provider of the chosen one and its fallbacks that this gateway can drive. */
  async convert(text: string, channel?: string): Promise<TtsConvertResult> {
    const input = text.trim();
    if (!input) throw invalidRequest('tts.convert requires text');
    const max = this.#options.config?.maxTextLength ?? DEFAULT_MAX_TEXT;
    if (input.length > max) throw invalidRequest(`text too long for TTS (${input.length} characters, at most ${max})`);
    if (!this.canSpeak()) {
      const status = this.status();
      const why = status.provider === 'openai' ? 'no OpenAI API key (messages.tts.openai.apiKey or OPENAI_API_KEY)' : `provider "${status.provider}" is not supported by this gateway and no OpenAI key is configured`;
      throw new GatewayError('UNAVAILABLE', `TTS conversion failed: ${why}`);
    }
    return this.#openai(input, channel);
  }

  async #openai(input: string, channel: string | undefined): Promise<TtsConvertResult> {
    const { config, env, clock } = this.#options;
    const opus = channel !== undefined && OPUS_CHANNELS.has(channel.trim().toLowerCase());
    const format = opus ? 'opus' : 'mp3';
    const base = (env.OPENAI_TTS_BASE_URL?.trim() || DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, '');
    const abort = new AbortController();
    const timer = clock.setTimeout(() => abort.abort(), config?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let audio: Uint8Array;
    try {
      const res = await (this.#options.fetch ?? fetch)(`${base}/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#openaiKey()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: config?.openai?.model ?? DEFAULT_OPENAI_MODEL, input, voice: config?.openai?.voice ?? DEFAULT_OPENAI_VOICE, response_format: format }),
        signal: abort.signal,
      });
      if (!res.ok) {
        const detail = (await res.text().catch(() => '')).slice(0, 300);
        throw new GatewayError('UNAVAILABLE', `TTS conversion failed: OpenAI answered ${res.status}${detail ? `: ${detail}` : ''}`);
      }
      audio = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      const why = abort.signal.aborted ? 'timed out' : (err as Error).message;
      throw new GatewayError('UNAVAILABLE', `TTS conversion failed: OpenAI request ${why}`);
    } finally {
      clock.clearTimeout(timer);
    }
    if (audio.byteLength === 0) throw new GatewayError('UNAVAILABLE', 'TTS conversion failed: OpenAI returned no audio');
    const audioPath = join(this.#options.audioDir, `voice-${clock.now()}-${randomBytes(4).toString('hex')}.${format}`);
    await writeAtomic(audioPath, audio);
    return { audioPath, provider: 'openai', outputFormat: format, voiceCompatible: opus };
  }

  #auto(): AutoMode {
    const config = this.#options.config;
    return this.#prefs.auto ?? config?.auto ?? (config?.enabled ? 'always' : 'off');
  }

  #provider(): TtsProviderId {
    const chosen = this.#prefs.provider ?? this.#options.config?.provider;
    if (chosen) return chosen;
    if (this.#openaiKey()) return 'openai';
    if (this.#elevenLabsKey()) return 'elevenlabs';
    return 'edge';
  }

  #configured(id: TtsProviderId): boolean {
    if (id === 'openai') return Boolean(this.#openaiKey());
    if (id === 'elevenlabs') return Boolean(this.#elevenLabsKey());
    return this.#options.config?.edge?.enabled !== false;
  }

  #openaiKey(): string | undefined {
    return this.#options.config?.openai?.apiKey?.trim() || this.#options.env.OPENAI_API_KEY?.trim() || undefined;
  }

  #elevenLabsKey(): string | undefined {
    const env = this.#options.env;
    return this.#options.config?.elevenlabs?.apiKey?.trim() || env.ELEVENLABS_API_KEY?.trim() || env.XI_API_KEY?.trim() || undefined;
  }

  async #save(prefs: TtsPrefs): Promise<void> {
    await this.#options.prefsStorage.write(this.#options.prefsKey, `${JSON.stringify({ tts: prefs }, null, 2)}\n`);
    this.#prefs = prefs;
  }
}

function isProviderId(id: string): id is TtsProviderId {
  return (PROVIDER_IDS as readonly string[]).includes(id);
}
