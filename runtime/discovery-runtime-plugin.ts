import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_NAME } from '../lib/package-name.js';
import { BonjourAdvertiser, type BonjourFactory } from './bonjour-advertiser.js';
import { isEnvFlagSet } from './env-flag.js';
import { gatewayAdvertisement, type MdnsMode } from './gateway-advertisement.js';
import type { RuntimePlugin } from './runtime-plugin.js';

export interface DiscoveryRuntimePluginOptions {
  /** The mDNS responder; default `bonjour-service` on the standard group (imported only when advertising). */
  createBonjour?: BonjourFactory;
  /** Default: the OS host name. */
  hostname?: string;
}

/** SSH's port, advertised in `full` mode for clients that reach a loopback-bound gateway through a tunnel. */
const SSH_PORT = 22;

/**
 * Advertises the gateway on the local network over mDNS/DNS-SD as `_openclaw-gw._tcp`
 * (docs/protocol.md, Discovery), whatever it binds: a loopback gateway is still reached through an
 * SSH tunnel, which is what `sshPort` and `cliPath` (in `full` mode) are for. Off with
 * `discovery.mdns.mode: "off"` or OPENCLAW_DISABLE_BONJOUR=1, and in --stdio mode (no port).
 * Withdrawn (goodbye packets) when the gateway stops or restarts.
 */
export function discoveryRuntimePlugin(options: DiscoveryRuntimePluginOptions = {}): RuntimePlugin {
  let advertiser: BonjourAdvertiser | undefined;
  return {
    name: 'discovery',
    async setup(ctx) {
      const mode: MdnsMode = ctx.config.discovery?.mdns?.mode ?? 'minimal';
      // The switch also holds process-wide: an embedder passing its own env (tests do) still honours the process's.
      const disabled = isEnvFlagSet(ctx.env.OPENCLAW_DISABLE_BONJOUR ?? process.env.OPENCLAW_DISABLE_BONJOUR);
      if (mode === 'off' || disabled || ctx.port === 0) return;
      const config = gatewayAdvertisement({
        hostname: options.hostname ?? hostname(),
        gatewayPort: ctx.port,
        mode,
        ...(mode === 'full' ? { sshPort: SSH_PORT, cliPath: ownCliPath() } : {}),
      });
      advertiser = new BonjourAdvertiser({ createBonjour: options.createBonjour, logger: ctx.logger });
      try {
        await advertiser.publish(config);
      } catch (err) {
        ctx.logger.log('warn', 'discovery', `mDNS advertising not started: ${(err as Error).message}`);
        await advertiser.stop();
        advertiser = undefined;
      }
    },
    async stop() {
      await advertiser?.stop();
      advertiser = undefined;
    },
  };
}

/** The `openclaw` executable of the package this module belongs to (its package.json `bin`), if installed as built. */
function ownCliPath(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dirname(dir) !== dir; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; bin?: Record<string, string> };
      if (pkg.name !== PACKAGE_NAME) continue;
      const bin = pkg.bin?.openclaw;
      return bin && existsSync(join(dir, bin)) ? join(dir, bin) : undefined;
    } catch {
      // no package.json here; keep walking up
    }
  }
  return undefined;
}
