import { arch, networkInterfaces, release } from 'node:os';
import type { PresenceEntry } from './protocol/generated/types.js';

const MODE_LABELS: Record<string, string> = { gateway: 'Gateway', node: 'Node', cli: 'CLI', ui: 'Control UI', webchat: 'WebChat', backend: 'Backend' };
const FAMILIES: Record<string, string> = { linux: 'Linux', darwin: 'Mac', win32: 'Windows', freebsd: 'FreeBSD' };

/** The one-line summary upstream clients show for a presence entry. */
export function presenceText(entry: Omit<PresenceEntry, 'ts' | 'text'>): string {
  const label = MODE_LABELS[entry.mode ?? ''] ?? 'Client';
  const where = entry.ip ? ` (${entry.ip})` : '';
  return `${label}: ${entry.host ?? 'unknown'}${where} · app ${entry.version ?? 'unknown'} · mode ${entry.mode ?? 'unknown'} · reason ${entry.reason ?? 'unknown'}`;
}

/** What the gateway says about its own host: first external IPv4, OS release, family and CPU architecture. */
export function hostPresence(): Pick<PresenceEntry, 'ip' | 'platform' | 'deviceFamily' | 'modelIdentifier'> {
  const ip = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
  return {
    ...(ip ? { ip } : {}),
    platform: `${process.platform} ${release()}`,
    deviceFamily: FAMILIES[process.platform] ?? process.platform,
    modelIdentifier: arch(),
  };
}
