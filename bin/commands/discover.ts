import { GatewayError } from '../../lib/errors.js';
import { browseGateways, type DiscoveredGateway } from '../../runtime/browse-gateways.js';
import { rawOption } from '../argv.js';
import type { CommandKit, Flags } from './command-kit.js';

const DEFAULT_DISCOVER_TIMEOUT_MS = 2000;

/**
 * `openclaw gateway discover [--timeout 2000] [--json]`: browses the local network for
 * `_openclaw-gw._tcp` and prints the gateways that answered. Finding none is not an error.
 */
export async function runDiscover(kit: CommandKit, flags: Flags): Promise<number> {
  // `gateway --timeout` defaults to 10000 for RPCs; discover has its own default unless one is typed.
  const typed = rawOption(kit.argv, 'timeout');
  const timeoutMs = typed === undefined ? DEFAULT_DISCOVER_TIMEOUT_MS : Number(typed);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new GatewayError('INVALID_REQUEST', `--timeout must be a whole number of ms, got ${typed}`);
  const gateways = await browseGateways({ timeoutMs });
  if (flags.json) {
    process.stdout.write(JSON.stringify({ timeoutMs, count: gateways.length, gateways }, null, 2) + '\n');
    return 0;
  }
  if (gateways.length === 0) {
    process.stdout.write(`No gateways found on the local network (_openclaw-gw._tcp, ${timeoutMs} ms).\n`);
    return 0;
  }
  for (const gateway of gateways) process.stdout.write(describe(gateway) + '\n');
  return 0;
}

function describe(gateway: DiscoveredGateway): string {
  const port = gateway.txt.gatewayPort ?? String(gateway.port);
  const extras = [
    gateway.addresses.length ? `addresses ${gateway.addresses.join(', ')}` : undefined,
    gateway.txt.sshPort ? `ssh ${gateway.txt.sshPort}` : undefined,
    gateway.txt.tailnetDns ? `tailnet ${gateway.txt.tailnetDns}` : undefined,
    gateway.txt.gatewayTls === '1' ? 'tls' : undefined,
    gateway.txt.cliPath ? `cli ${gateway.txt.cliPath}` : undefined,
  ].filter(Boolean);
  const scheme = gateway.txt.gatewayTls === '1' ? 'wss' : 'ws';
  return `${gateway.name}  ${scheme}://${gateway.host}:${port}${extras.length ? `  (${extras.join('; ')})` : ''}`;
}
