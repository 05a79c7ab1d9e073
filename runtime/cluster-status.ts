import type { PostgresCluster } from '../cluster/postgres.js';
import type { Gateway } from '../lib/gateway.js';
import type { ClusterLink } from '../lib/cluster-link.js';
import type { Lease, LeaseRecord } from '../lib/lease.js';

/**
 * What the runtime uses of the NATS link. Structural, so the package's root declarations never
 * name a type of the optional `nats` package (a consumer without it must still type-check).
 */
export interface ClusterBusLink extends ClusterLink {
  readonly events: ClusterLink['events'] & {
    readonly stream: string;
    info(): Promise<{ stream: string; messages: number; firstSeq: number; lastSeq: number }>;
  };
  /** Round trip to the server, ms. */
  ping(): Promise<number>;
  close(): Promise<void>;
}

/** The running cluster parts the status reads (the cluster runtime plugin's `current()`). */
export interface ClusterStatusSource {
  readonly instanceId: string;
  readonly postgres?: Pick<PostgresCluster, 'ping' | 'schema'>;
  readonly nats?: Pick<ClusterBusLink, 'peers' | 'ping' | 'events'>;
}

/** What this instance holds, and what the store says everyone holds. */
export interface ClusterLeases {
  instanceId: string;
  held: Array<Pick<Lease, 'key' | 'fencingToken' | 'expiresAt'>>;
  all: LeaseRecord[];
}

/** The method `gateway status` asks a cluster instance (a custom method: the wire's `status` stays upstream's). */
export const CLUSTER_STATUS_METHOD = 'clawgate.cluster.status';

/** One instance's view of its cluster, as `clawgate.cluster.status` answers it. */
export interface ClusterStatus {
  instanceId: string;
  /** Leases this instance holds, and every lease in the shared store. */
  leases?: ClusterLeases;
  /** The other instances heard on the bus and not yet expired. */
  peers: Array<{ instanceId: string; host?: string; seenAt: number; clients: number }>;
  postgres?: { ok: boolean; latencyMs?: number; schema: string; error?: string };
  nats?: { ok: boolean; latencyMs?: number; stream: string; messages?: number; lastSeq?: number; error?: string };
}

async function probe<T>(run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export async function clusterStatus(running: ClusterStatusSource, leases: () => Promise<ClusterLeases | undefined>): Promise<ClusterStatus> {
  const status: ClusterStatus = {
    instanceId: running.instanceId,
    peers: (running.nats?.peers() ?? []).map((p) => ({ instanceId: p.instanceId, host: p.entries[0]?.host, seenAt: p.seenAt, clients: Math.max(0, p.entries.length - 1) })),
  };
  const pg = running.postgres;
  if (pg) {
    const ping = await probe(() => pg.ping());
    status.postgres = ping.ok ? { ok: true, latencyMs: Math.round(ping.value), schema: pg.schema } : { ok: false, schema: pg.schema, error: ping.error };
    const held = await probe(leases);
    if (held.ok && held.value) status.leases = held.value;
  }
  const nats = running.nats;
  if (nats) {
    const info = await probe(async () => ({ latencyMs: await nats.ping(), ...(await nats.events.info()) }));
    status.nats = info.ok
      ? { ok: true, latencyMs: Math.round(info.value.latencyMs), stream: info.value.stream, messages: info.value.messages, lastSeq: info.value.lastSeq }
      : { ok: false, stream: nats.events.stream, error: info.error };
  }
  return status;
}

/** Answers `clawgate.cluster.status` on this instance (operator.read); returns the removal. */
export function registerClusterStatus(gateway: Gateway, running: () => ClusterStatusSource | undefined, leases: () => Promise<ClusterLeases | undefined>): () => void {
  return gateway.registerCustomMethod(CLUSTER_STATUS_METHOD, { params: { type: 'object', additionalProperties: false }, scope: 'read' }, async () => {
    const current = running();
    if (!current) return { instanceId: null };
    return clusterStatus(current, leases);
  });
}
