import type { ServiceConfig } from 'bonjour-service';

/** The DNS-SD service type gateways are advertised under: `_openclaw-gw._tcp`. */
export const GATEWAY_SERVICE_TYPE = 'openclaw-gw';

/** `discovery.mdns.mode`: `minimal` (default) leaves out what only an SSH client needs. */
export type MdnsMode = 'off' | 'minimal' | 'full';

export interface GatewayAdvertisementOptions {
  /** The machine's host name; a `.local` suffix or domain part is dropped. */
  hostname: string;
  /** The gateway's bound port. */
  gatewayPort: number;
  mode: Exclude<MdnsMode, 'off'>;
  /** `full` mode: the port SSH listens on, for clients that tunnel to a loopback-bound gateway. */
  sshPort?: number;
  /** `full` mode: the `openclaw` executable clients run over SSH. */
  cliPath?: string;
}

/** The standard port; another port is named in the instance name so gateways of several profiles on one host do not collide. */
const DEFAULT_GATEWAY_PORT = 18789;

/**
 * The `_openclaw-gw._tcp` record set of one gateway (docs/protocol.md, Discovery): instance
 * `<host> (OpenClaw)`, SRV to `<host>.local:<gatewayPort>`, and TXT `role=gateway`,
 * `transport=gateway`, `gatewayPort`, plus `sshPort` and `cliPath` in `full` mode. TXT values are
 * strings, as DNS-SD carries them.
 */
export function gatewayAdvertisement(options: GatewayAdvertisementOptions): ServiceConfig {
  const host = shortHostname(options.hostname);
  const txt: Record<string, string> = { role: 'gateway', transport: 'gateway', gatewayPort: String(options.gatewayPort) };
  if (options.mode === 'full') {
    if (options.sshPort !== undefined) txt.sshPort = String(options.sshPort);
    if (options.cliPath) txt.cliPath = options.cliPath;
  }
  const suffix = options.gatewayPort === DEFAULT_GATEWAY_PORT ? 'OpenClaw' : `OpenClaw ${options.gatewayPort}`;
  return {
    // A dot would split the DNS label; the library turns it into "-" anyway, say so up front.
    name: `${host.replaceAll('.', '-')} (${suffix})`,
    type: GATEWAY_SERVICE_TYPE,
    protocol: 'tcp',
    port: options.gatewayPort,
    host: `${host}.local`,
    txt,
  };
}

function shortHostname(hostname: string): string {
  const short = hostname.trim().replace(/\.local\.?$/i, '').split('.')[0]?.trim();
  return short || 'openclaw';
}
