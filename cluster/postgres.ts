/**
 * The PostgreSQL side of a cluster (`clawgate/cluster/postgres`): the shared store, leases and
 * outbox. Needs the optional package `pg`; the gateway loads this only when
 * `plugins.entries.clawgate.config.cluster.postgres` is set.
 */
export { PostgresCluster, type PostgresClusterOptions } from './postgres-cluster.js';
export { PostgresStorage, type PostgresStorageOptions } from './postgres-storage.js';
export { PostgresLeaseProvider, type PostgresLeaseProviderOptions } from './postgres-lease-provider.js';
export { PostgresOutboxStore, type PostgresOutboxStoreOptions } from './postgres-outbox-store.js';
