import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TelegramChannelOptions } from '../channels/telegram.js';
import type { WhatsAppSocketFactory } from '../channels/whatsapp.js';
import type { ChannelDefinition } from '../lib/channel.js';
import { channelCredentialsDir } from '../lib/channels/channel-accounts.js';
import type { ChannelsConfig } from '../lib/channels/channel-manager.js';
import { channelsPlugin } from '../lib/plugins/channels-plugin.js';
import { channelsService } from '../lib/services.js';
import { FileStorage } from '../lib/file-storage.js';
import { isEnvFlagSet } from './env-flag.js';
import { loadOptional } from './optional-package.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface ChannelsRuntimePluginOptions {
  /** Baileys socket factory for WhatsApp (embedders and tests); default makeWASocket. */
  whatsappSocketFactory?: WhatsAppSocketFactory;
  /** Telegram options that win over the config (embedders and tests: backoff, a prepared bot). */
  telegram?: Partial<TelegramChannelOptions>;
}

/**
 * Messaging channels: the channels gateway plugin built from `channels.*`, restarted one channel
 * at a time on config reloads, with the Telegram webhook endpoints as an HTTP route.
 * OPENCLAW_SKIP_CHANNELS=1 leaves every channel off.
 */
export function channelsRuntimePlugin(options: ChannelsRuntimePluginOptions = {}): RuntimePlugin {
  let skipped = false;
  return {
    name: 'channels',
    gatewayPlugins(ctx) {
      skipped = isEnvFlagSet(ctx.env.OPENCLAW_SKIP_CHANNELS);
      if (skipped) {
        ctx.logger.log('info', 'channels', 'channels skipped (OPENCLAW_SKIP_CHANNELS)');
        return [];
      }
      return [
        channelsPlugin({
          definitions: channelDefinitions(options),
          config: ctx.config.channels,
          env: ctx.env,
          storage: new FileStorage(ctx.stateDir),
          stateDir: ctx.stateDir,
          logger: ctx.logger,
        }),
      ];
    },
    setup(ctx) {
      if (skipped) return;
      const manager = ctx.gateway.service(channelsService);
      for (const id of manager.channelIds()) {
        ctx.reload.onChannelChange(id, (change) => manager.reload(id, (change.config.channels as ChannelsConfig | undefined)?.[id]));
      }
      ctx.http.add((req, res) => {
        for (const channel of manager.channels('telegram')) {
          if (!hasWebhook(channel)) continue;
          const handled = channel.handleWebhook(req, res);
          if (handled !== false) return handled;
        }
        return false;
      });
    },
  };
}

function channelDefinitions(options: ChannelsRuntimePluginOptions): ChannelDefinition[] {
  return [
    {
      id: 'whatsapp',
      label: 'WhatsApp',
      loginCreatesAccount: true,
      // The channel libraries are optional peer dependencies: loaded only when an account runs.
      create: async (ctx) =>
        (await loadOptional('The WhatsApp channel', () => import('../channels/whatsapp.js'))).WhatsAppChannel.fromConfig(ctx, options.whatsappSocketFactory),
      autoEnable: ({ stateDir, accountId }) => (stateDir ? exists(join(channelCredentialsDir(stateDir, 'whatsapp', accountId), 'creds.json')) : false),
    },
    {
      id: 'telegram',
      label: 'Telegram',
      create: async (ctx) => (await loadOptional('The Telegram channel', () => import('../channels/telegram.js'))).TelegramChannel.fromConfig(ctx, options.telegram),
      autoEnable: ({ env }) => Boolean(env.TELEGRAM_BOT_TOKEN?.trim()),
    },
  ];
}

type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

function hasWebhook(channel: object): channel is { handleWebhook: WebhookHandler } {
  return typeof (channel as { handleWebhook?: unknown }).handleWebhook === 'function';
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
