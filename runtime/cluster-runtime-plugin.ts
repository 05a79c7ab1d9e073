import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { PostgresCluster } from '../cluster/postgres.js';
import { clusterConfig, type ClusterConfig } from '../lib/config/own-settings.js';
import type { Lease, LeaseRecord } from '../lib/lease.js';
import { registerClusterStatus, type ClusterBusLink } from './cluster-status.js';
import { loadOptional } from './optional-package.js';
import type { RuntimePlugin } from './runtime-plugin.js';

/** Default lease TTL of channel accounts in a cluster: a dead owner's accounts move within this. */
export const DEFAULT_CLUSTER_LEASE_TTL_MS = 15_000;

/** A name for an instance that configured none: unique per start, readable in status output. */
export function defaultInstanceId(): string {
  return `${hostname().replace(/[^A-Za-z0-9_.:-]/g, '-')}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The running generation's cluster parts; what the channels, status and doctor use. */
export interface ClusterRuntime {
  readonly instanceId: string;
  readonly settings: NonNullable<ClusterConfig>;
  /** TTL of channel-account leases. */
  readonly leaseTtlMs: number;
  /** The shared store and leases, when `cluster.postgres` is set. */
  readonly postgres?: PostgresCluster;
  /** The event bus, presence and node routing between instances, when `cluster.nats` is set. */
  readonly nats?: ClusterBusLink;
}


/** What this instance holds, and what the store says everyone holds (`gateway status`). */
export interface ClusterLeaseHoldings {
  instanceId: string;
  /** Leases this instance holds now, with their fencing tokens. */
  held: Array<Pick<Lease, 'key' | 'fencingToken' | 'expiresAt'>>;
  /** Every lease in the shared store, whoever holds it; empty without PostgreSQL. */
  all: LeaseRecord[];
}

export interface ClusterRuntimePlugin extends RuntimePlugin {
  /** The cluster of the running generation; undefined when `cluster` is not configured (the default). */
  current(): ClusterRuntime | undefined;
  /** Lease holdings for `gateway status`; undefined outside a cluster. */
  heldLeases(): Promise<ClusterLeaseHoldings | undefined>;
}

/**
 * Several gateway processes serving one tenant (`plugins.entries.clawgate.config.cluster`,
 * docs/cluster.md). Only when that section is set does it load its adapters (`pg` for the shared
 * store and channel leases): a gateway without it starts with exactly what it started with before.
 * The shared store replaces the gateway's state storage (device pairing and tokens, node pairing);
 * the channels take their leases and outbox from {@link ClusterRuntimePlugin.current}.
 */
export function clusterRuntimePlugin(): ClusterRuntimePlugin {
  let running: ClusterRuntime | undefined;

  const close = async (): Promise<void> => {
    const previous = running;
    running = undefined;
    await previous?.nats?.close();
    await previous?.postgres?.close();
  };

  const plugin: ClusterRuntimePlugin = {
    name: 'cluster',
    current: () => running,
    async heldLeases() {
      if (!running) return undefined;
      const leases = running.postgres?.leases;
      return {
        instanceId: running.instanceId,
        held: (leases?.held() ?? []).map(({ key, fencingToken, expiresAt }) => ({ key, fencingToken, expiresAt })),
        all: (await leases?.list()) ?? [],
      };
    },
    async gatewayOptions(ctx) {
      await close();
      const settings = clusterConfig(ctx.config);
      if (!settings) return {};
      const instanceId = settings.instanceId ?? defaultInstanceId();
      let postgres: PostgresCluster | undefined;
      if (settings.postgres) {
        const { PostgresCluster } = await loadOptional('The cluster store (cluster.postgres)', () => import('../cluster/postgres.js'));
        postgres = await PostgresCluster.connect({ url: settings.postgres.url, schema: settings.postgres.schema, instanceId, logger: ctx.logger });
      }
      let nats: ClusterBusLink | undefined;
      if (settings.nats) {
        const { NatsClusterLink } = await loadOptional('The cluster event bus (cluster.nats)', () => import('../cluster/nats.js'));
        try {
          nats = await NatsClusterLink.connect({ url: settings.nats.url, stream: settings.nats.stream, instanceId, logger: ctx.logger });
        } catch (err) {
          await postgres?.close();
          throw err;
        }
      }
      running = { instanceId, settings, leaseTtlMs: settings.leaseTtlMs ?? DEFAULT_CLUSTER_LEASE_TTL_MS, ...(postgres ? { postgres } : {}), ...(nats ? { nats } : {}) };
      ctx.logger.log('info', 'cluster', `instance ${instanceId} joined the cluster${postgres ? ` (store: PostgreSQL schema ${postgres.schema})` : ''}${nats ? ` (events: NATS stream ${nats.events.stream})` : ''}`);
      return { ...(postgres ? { storage: postgres.storage } : {}), ...(nats ? { cluster: nats } : {}) };
    },
    setup(ctx) {
      // `gateway status` asks the instance for its id, leases and peers.
      if (running) registerClusterStatus(ctx.gateway, () => running, () => plugin.heldLeases());
    },
    stop: close,
  };
  return plugin;
}
