import type { OpenClawConfig, ReloadPlan } from '../lib/config/index.js';
import type { Logger } from '../lib/logger.js';
import type { ChannelReloadHook } from './runtime-plugin.js';

/**
 * Runs a hot reload's `restart-channel:<id>` actions through the hooks channel plugins registered;
 * the plan's other actions name nothing that runs in this gateway, and are logged as such.
 */
export async function applyChannelReloads(
  plan: ReloadPlan,
  config: OpenClawConfig,
  hooks: ReadonlyMap<string, ChannelReloadHook[]> | undefined,
  logger: Logger,
  onError: (what: string, err: unknown) => void,
): Promise<void> {
  for (const action of plan.actions) {
    const channel = /^restart-channel:(.+)$/.exec(action)?.[1];
    if (!channel) {
      logger.log('info', 'gateway/reload', `${action}: nothing of that kind runs in this gateway`);
      continue;
    }
    const channelHooks = hooks?.get(channel) ?? [];
    if (channelHooks.length === 0) {
      logger.log('info', 'gateway/reload', `channels.${channel} changed; no "${channel}" channel runs here, nothing to restart`);
      continue;
    }
    const changedPaths = plan.hotReasons.filter((path) => path === `channels.${channel}` || path.startsWith(`channels.${channel}.`));
    // One channel at a time: a restarting channel must not race another for shared state.
    for (const hook of channelHooks) {
      try {
        await hook({ channelId: channel, config, changedPaths });
      } catch (err) {
        onError(`reloading channel ${channel}`, err);
      }
    }
  }
}
