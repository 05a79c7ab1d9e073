import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { telegramKind, whatsappKind } from '../channels/channel-kinds.js';
import type { ChannelDefinition } from '../lib/channel.js';
import type { ChannelsConfig } from '../lib/channels/channel-manager.js';
import type { AccountLeaseOptions } from '../lib/channels/lease-keeper.js';
import type { OpenClawConfig } from '../lib/config/index.js';
import type { LeaseProvider } from '../lib/lease.js';
import { channelsPlugin } from '../lib/plugins/channels-plugin.js';
import { channelsService } from '../lib/services.js';
import { FileStorage } from '../lib/file-storage.js';
import { isEnvFlagSet } from './env-flag.js';
import { FileLeaseProvider } from './file-lease-provider.js';
import { loadOptional } from './optional-package.js';
import type { RuntimePlugin } from './runtime-plugin.js';
import type { ClusterRuntime } from './cluster-runtime-plugin.js';
import { drainTimeoutMs, globalMentionPatterns } from '../lib/config/own-settings.js';

export interface ChannelsRuntimePluginOptions {
  /**
   * Channel kinds next to or instead of the stock ones (same id replaces): the runtime's own
   * channels, or a stock channel with injected parts, e.g. `whatsappChannelDefinition({ socketFactory })`
   * from `clawgate/channels/whatsapp` or `telegramChannelDefinition({ bot })` from `clawgate/channels/telegram`.
   */
  definitions?: ChannelDefinition[];
  /**
   * Who owns each channel account. Default: OS file locks in `<state>/locks`, so a second
   * gateway on the same state dir leaves the accounts to the first. A cluster passes a shared
   * store's leases; `false` turns ownership off (a gateway that is certainly alone).
   */
  leases?: LeaseProvider | false;
  /** TTL and retry backoff of the account leases (default 30 s; 2 s doubling to 60 s). */
  leaseOptions?: AccountLeaseOptions;
  /**
   * The running cluster, if any: its leases, shared outbox and pairing store replace the local
   * ones (an explicit `leases` still wins). Inbound journals stay per instance.
   */
  cluster?: () => ClusterRuntime | undefined;
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
      const shared = options.cluster?.()?.postgres;
      const ttlMs = options.cluster?.()?.leaseTtlMs;
      return [
        channelsPlugin({
          definitions: channelDefinitions(options, ctx.config),
          config: ctx.config.channels,
          mentionPatterns: globalMentionPatterns(ctx.config),
          env: ctx.env,
          storage: new FileStorage(ctx.stateDir),
          stateDir: ctx.stateDir,
          logger: ctx.logger,
          drainTimeoutMs: drainTimeoutMs(ctx.config),
          ...(options.leases !== false ? { leases: options.leases ?? shared?.leases ?? new FileLeaseProvider({ dir: join(ctx.stateDir, 'locks') }) } : {}),
          // In a cluster a standby looks every third of the TTL, so a dead owner's accounts move within it.
          leaseOptions: shared && ttlMs ? { ttlMs, retry: { initialMs: ttlMs / 3, maxMs: ttlMs / 3 }, ...options.leaseOptions } : options.leaseOptions,
          ...(shared ? { outbox: shared.outbox, pairingStorage: shared.storage } : {}),
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

/**
 * The stock channels, their libraries (optional peer dependencies) loaded only when an account
 * runs, with the embedder's definitions in place of stock ones of the same id and after them.
 */
function channelDefinitions(options: ChannelsRuntimePluginOptions, config: OpenClawConfig): ChannelDefinition[] {
  // Upstream's WhatsApp Web tuning; web.reconnect.maxAttempts is accepted and ignored: never give up.
  const web = config.web ?? {};
  const { maxAttempts: _giveUp, ...reconnect } = web.reconnect ?? {};
  const whatsapp = {
    backoff: reconnect,
    ...(web.heartbeatSeconds ? { watchdog: { silenceMs: web.heartbeatSeconds * 1000 } } : {}),
  };
  const stock: ChannelDefinition[] = [
    {
      ...whatsappKind,
      create: async (ctx) => (await loadOptional('The WhatsApp channel', () => import('../channels/whatsapp.js'))).whatsappChannelDefinition(whatsapp).create(ctx),
    },
    {
      ...telegramKind,
      create: async (ctx) => (await loadOptional('The Telegram channel', () => import('../channels/telegram.js'))).telegramChannelDefinition().create(ctx),
    },
  ];
  const own = options.definitions ?? [];
  return [...stock.map((def) => own.find((o) => o.id === def.id) ?? def), ...own.filter((o) => !stock.some((def) => def.id === o.id))];
}

type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

function hasWebhook(channel: object): channel is { handleWebhook: WebhookHandler } {
  return typeof (channel as { handleWebhook?: unknown }).handleWebhook === 'function';
}
