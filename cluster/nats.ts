/**
 * The NATS side of a cluster (`clawgate/cluster/nats`): broadcasts on a JetStream stream per
 * tenant (its sequence is the cursor clients resume after), presence heartbeats and node invokes
 * routed to the instance holding the node. Needs the optional package `nats`; the gateway loads
 * this only when `plugins.entries.clawgate.config.cluster.nats` is set.
 */
export { NatsClusterLink, type NatsClusterLinkOptions } from './nats-cluster-link.js';
export { NatsEventBus, type NatsEventBusOptions } from './nats-event-bus.js';
