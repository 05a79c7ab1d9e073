import { DEFAULT_CONFIG_RESTART_DELAY_MS, MAX_CONFIG_RESTART_DELAY_MS } from '../config/config-manager.js';
import { GatewayError } from '../errors.js';
import type { GatewayPlugin } from '../plugin.js';
import type { UpdateAvailable, UpdateRunResult } from '../protocol/generated/types.js';
import { configService } from '../services.js';
import type { PackageUpdater } from '../update/package-updater.js';

export const DEFAULT_UPDATE_TIMEOUT_MS = 600_000;
/** `update.status` asks the registry at most this often; clients poll it on every page load. */
export const UPDATE_CHECK_TTL_MS = 60 * 60_000;
const UPDATE_CHECK_TIMEOUT_MS = 5_000;

/**
 * `update.status`: whether the registry has a newer version (checked at most hourly). `update.run`:
 * installs the registry's newer version over this install, then asks the host
 * (through the config service, as `config.apply` does) for an in-process restart with an
 * `update` sentinel. Up to date: nothing is installed and nothing restarts.
 */
export function updatePlugin(updater: Pick<PackageUpdater, 'check' | 'run'>): GatewayPlugin {
  let running: Promise<UpdateRunResult> | undefined;
  let checked: { at: number; available: Promise<UpdateAvailable | null> } | undefined;
  return {
    name: 'update',
    setup(gateway) {
      gateway.registerMethod('update.status', () => {
        const now = gateway.clock.now();
        if (!checked || now - checked.at >= UPDATE_CHECK_TTL_MS) {
          // An unreachable registry is "nothing known to be newer", not an error for the page that asked.
          const available = updater.check(UPDATE_CHECK_TIMEOUT_MS).then(
            (c) => (c.newer ? { currentVersion: c.current, latestVersion: c.latest, channel: 'latest' } : null),
            (err: unknown) => {
              gateway.logger.log('debug', 'gateway/update', `update check failed: ${(err as Error).message}`);
              checked = undefined;
              return null;
            },
          );
          checked = { at: now, available };
        }
        return checked.available.then((updateAvailable) => ({ sentinel: null, updateAvailable }));
      });

      gateway.registerMethod('update.run', (params) => {
        // One update at a time: a second click waits for the first one's answer.
        running ??= (async (): Promise<UpdateRunResult> => {
          const result = await updater.run(params.timeoutMs ?? DEFAULT_UPDATE_TIMEOUT_MS);
          if (result.status !== 'ok') return { ok: true, result };
          gateway.logger.log('info', 'gateway/update', `updated ${result.before.version} -> ${result.after?.version}; restarting`);
          const manager = gateway.optionalService(configService);
          if (!manager) throw new GatewayError('UNAVAILABLE', `updated to ${result.after?.version}, but this gateway cannot restart itself; restart it to run the new version`);
          const delayMs = Math.min(MAX_CONFIG_RESTART_DELAY_MS, params.restartDelayMs ?? DEFAULT_CONFIG_RESTART_DELAY_MS);
          const { restart, sentinel } = await manager.requestRestart(
            {
              kind: 'update',
              status: 'ok',
              ts: gateway.clock.now(),
              ...(params.sessionKey ? { sessionKey: params.sessionKey } : {}),
              message: params.note ?? null,
              stats: { mode: 'update.run', root: result.root, before: result.before.version, after: result.after?.version },
            },
            delayMs,
          );
          return { ok: true, result, restart, sentinel };
        })().finally(() => {
          running = undefined;
        });
        return running;
      });
    },
  };
}
