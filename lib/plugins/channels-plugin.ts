import { ChannelManager, type ChannelManagerOptions } from '../channels/channel-manager.js';
import { invalidRequest } from '../errors.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import { channelsService } from '../services.js';
import { registerChannelPairingMethods } from './channel-pairing-methods.js';

/** The WhatsApp Web QR login is what `web.login.*` means. */
const WEB_CHANNEL = 'whatsapp';

export type ChannelsPluginOptions = Omit<ChannelManagerOptions, 'gateway'>;

/**
 * Messaging channels: a ChannelManager (`channelsService`) built from `channels.*`, started with
 * the gateway and stopped after it, and `send`, `channels.status`, `channels.logout`,
 * `web.login.start`, `web.login.wait`, and the DM pairing methods.
 */
export function channelsPlugin(options: ChannelsPluginOptions): GatewayPlugin {
  let manager: ChannelManager | undefined;
  return {
    name: 'channels',
    setup(gateway) {
      manager = new ChannelManager({ ...options, gateway });
      gateway.provide(channelsService, manager);
      registerChannelMethods(gateway, manager);
      registerChannelPairingMethods(gateway, manager);
    },
    start: () => manager?.start(),
    stop: () => manager?.stop(),
  };
}

function registerChannelMethods(gateway: GatewayHost, manager: ChannelManager): void {
  gateway.registerMethod('send', (params, ctx) => {
    // A file path names a file of the gateway host: only its own clients (and in-process callers)
    // may have it uploaded, or any remote writer could read the host's files through a chat.
    const media = [params.mediaUrl, ...(params.mediaUrls ?? [])].filter((u): u is string => Boolean(u));
    if (ctx.session && !ctx.session.peer.local && media.some((u) => !/^https?:\/\//i.test(u))) {
      throw invalidRequest('local media paths are only accepted from clients on the gateway host; send an http(s) URL');
    }
    return manager.send(params);
  });

  gateway.registerMethod('channels.status', () => manager.status());

  gateway.registerMethod('channels.logout', ({ channel, accountId }) => manager.logout(channel.trim().toLowerCase(), accountId));

  gateway.registerMethod('web.login.start', async ({ accountId, ...params }) => (await manager.login(WEB_CHANNEL, accountId)).start(params));

  gateway.registerMethod('web.login.wait', async ({ accountId, ...params }) => (await manager.login(WEB_CHANNEL, accountId)).wait(params));
}
