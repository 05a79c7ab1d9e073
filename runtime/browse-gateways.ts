import type { EventEmitter } from 'node:events';
import type { Service } from 'bonjour-service';
import { defaultBonjourFactory, type BonjourFactory } from './bonjour-advertiser.js';
import { GATEWAY_SERVICE_TYPE } from './gateway-advertisement.js';

/** A gateway that answered on the local network: its DNS-SD instance and TXT record. */
export interface DiscoveredGateway {
  /** Instance name, e.g. `studio (OpenClaw)`. */
  name: string;
  /** SRV target, e.g. `studio.local`. */
  host: string;
  /** SRV port: the gateway's port. */
  port: number;
  /** Addresses from the A/AAAA records that came with the answer. */
  addresses: string[];
  /** TXT keys as advertised (`role`, `transport`, `gatewayPort`, and in full mode `sshPort`, `cliPath`). */
  txt: Record<string, string>;
}

export interface BrowseGatewaysOptions {
  /** How long to listen for answers (ms). */
  timeoutMs: number;
  createBonjour?: BonjourFactory;
  /** Socket and protocol trouble; default: ignored, the answers that did arrive are still returned. */
  onError?: (err: Error) => void;
}

/** Asks the local network for `_openclaw-gw._tcp` services and collects what answers within `timeoutMs`, sorted by name. */
export async function browseGateways(options: BrowseGatewaysOptions): Promise<DiscoveredGateway[]> {
  const onError = options.onError ?? (() => undefined);
  const bonjour = await (options.createBonjour ?? defaultBonjourFactory)(onError);
  // See BonjourAdvertiser: an unheard socket 'error' event would end the process.
  (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns?.on('error', onError);
  try {
    const browser = bonjour.find({ type: GATEWAY_SERVICE_TYPE, protocol: 'tcp' });
    await new Promise<void>((resolve) => setTimeout(resolve, options.timeoutMs));
    browser.stop();
    return browser.services.map(describe).sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
  }
}

function describe(service: Service): DiscoveredGateway {
  const txt: Record<string, string> = {};
  for (const [key, value] of Object.entries((service.txt ?? {}) as Record<string, unknown>)) {
    txt[key] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return { name: service.name, host: service.host, port: service.port, addresses: service.addresses ?? [], txt };
}
