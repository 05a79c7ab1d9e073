import { invalidRequest } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';
import type { Storage } from '../storage.js';
import { TtsService, type TtsServiceOptions } from '../voice/tts-service.js';
import { VoicewakeStore } from '../voice/voicewake-store.js';
import type { Logger } from '../logger.js';

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
  let tts: TtsService | undefined;
  let logger: Logger | undefined;
  return {
    name: 'voice',
    setup(host) {
      logger = host.logger;
      const wake = (voicewake = new VoicewakeStore(options.storage, () => host.clock.now()));
      const speech = (tts = new TtsService({ ...options.tts, clock: host.clock }));

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

      host.registerMethod('talk.catalog', () => {
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
      host.registerMethod('tts.status', () => speech.status());
      host.registerMethod('tts.providers', () => speech.providers());
      host.registerMethod('tts.enable', () => speech.setEnabled(true));
      host.registerMethod('tts.disable', () => speech.setEnabled(false));
      host.registerMethod('tts.setProvider', (params) => speech.setProvider(params.provider));
      host.registerMethod('tts.convert', (params) => speech.convert(params.text, params.channel));
    },
    async start() {
      for (const problem of [await voicewake?.load(), await tts?.load()]) if (problem) logger?.log('warn', 'voice', problem);
    },
  };
}
