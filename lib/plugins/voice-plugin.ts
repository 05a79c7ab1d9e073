import { invalidRequest } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';
import type { Storage } from '../storage.js';
import type { TtsService, TtsServiceOptions } from '../voice/tts-service.js';
import { VoicewakeStore } from '../voice/voicewake-store.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import { loadOnce } from '../load-once.js';

export interface VoicePluginOptions {
  /** The state dir's storage: voice-wake triggers live in `settings/voicewake.json`. */
  storage: Storage;
  /** Text-to-speech (without `clock`: the gateway's). */
  tts: Omit<TtsServiceOptions, 'clock'>;
}

/**
 * Voice settings the apps read and share: `talk.mode` (and its event), `voicewake.get|set`
 * (and `voicewake.changed`), and `tts.status|providers|enable|disable|setProvider|convert`.
 */
export function voicePlugin(options: VoicePluginOptions): GatewayPlugin {
  let voicewake: VoicewakeStore | undefined;
  let logger: Logger | undefined;
  let clock: Clock | undefined;
  /** The TTS service, whose code loads with the first TTS or talk call (or at start when preferences are saved). */
  const speechService = loadOnce(async (): Promise<TtsService> => new (await import('../voice/tts-service.js')).TtsService({ ...options.tts, clock: clock! }));
  return {
    name: 'voice',
    setup(host) {
      logger = host.logger;
      clock = host.clock;
      const wake = (voicewake = new VoicewakeStore(options.storage, () => host.clock.now()));

      host.registerMethod('talk.mode', (params) => {
        const payload = { enabled: params.enabled, phase: params.phase ?? null, ts: host.clock.now() };
        host.broadcast('talk.mode', payload);
        return payload;
      });

      host.registerMethod('voicewake.get', () => ({ triggers: wake.triggers }));
      host.registerMethod('voicewake.set', async (params) => {
        if (!Array.isArray(params.triggers)) throw invalidRequest('voicewake.set requires triggers: string[]');
        const triggers = await wake.set(params.triggers);
        host.broadcast('voicewake.changed', { triggers });
        return { triggers };
      });

      host.registerMethod('talk.catalog', async () => {
        const speech = await speechService();
        const { providers, active } = speech.providers();
        return {
          modes: [],
          transports: [],
          brains: [],
          speech: {
            ready: speech.canSpeak(),
            activeProvider: active,
            providers: providers.map((p) => ({ id: p.id, label: p.name, configured: p.configured, models: p.models, ...(p.voices ? { voices: p.voices } : {}) })),
          },
          transcription: { providers: [] },
          realtime: { providers: [] },
        };
      });
      host.registerMethod('tts.status', async () => (await speechService()).status());
      host.registerMethod('tts.providers', async () => (await speechService()).providers());
      host.registerMethod('tts.enable', async () => (await speechService()).setEnabled(true));
      host.registerMethod('tts.disable', async () => (await speechService()).setEnabled(false));
      host.registerMethod('tts.setProvider', async (params) => (await speechService()).setProvider(params.provider));
      host.registerMethod('tts.convert', async (params) => (await speechService()).convert(params.text, params.channel));
    },
    async start() {
      // Without a preferences file the service has nothing to load: it starts from the config at its first call.
      const prefsSaved = (await options.tts.prefsStorage.read(options.tts.prefsKey)) !== undefined;
      for (const problem of [await voicewake?.load(), prefsSaved ? await (await speechService()).load() : undefined]) if (problem) logger?.log('warn', 'voice', problem);
    },
  };
}
