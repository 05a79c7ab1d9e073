import { basename, dirname, join } from 'node:path';
import { FileStorage } from '../lib/file-storage.js';
import { voicePlugin } from '../lib/plugins/voice-plugin.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/**
 * Voice settings: voice-wake triggers under `<state>/settings/`, TTS preferences at
 * `messages.tts.prefsPath` (default `<state>/settings/tts.json`) and synthesized audio under
 * `<state>/tts/`.
 */
export function voiceRuntimePlugin(): RuntimePlugin {
  return {
    name: 'voice',
    gatewayPlugins({ config, env, stateDir }) {
      const tts = config.messages?.tts;
      const prefsPath = tts?.prefsPath?.trim() ? tts.prefsPath.replace(/^~(?=$|\/)/, env.HOME ?? '~') : join(stateDir, 'settings', 'tts.json');
      return [
        voicePlugin({
          storage: new FileStorage(stateDir),
          tts: { config: tts, env, prefsStorage: new FileStorage(dirname(prefsPath)), prefsKey: basename(prefsPath), prefsPath, audioDir: join(stateDir, 'tts') },
        }),
      ];
    },
  };
}
