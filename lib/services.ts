import type { AgentService } from './agents/agent-service.js';
import type { ChannelManager } from './channels/channel-manager.js';
import type { ClusterLink } from './cluster-link.js';
import type { ConfigManager } from './config/config-manager.js';
import type { DevicePairingStore } from './device-pairing-store.js';
import type { NodePairingStore } from './nodes/node-pairing-store.js';
import type { NodeRegistry } from './nodes/node-registry.js';
import { ServiceKey } from './plugin.js';
import type { PresenceStore } from './presence.js';
import type { SystemEventQueue } from './system-event-queue.js';

/** The kernel's: paired devices and their tokens (the handshake checks them). */
export const devicesService = new ServiceKey<DevicePairingStore>('devices');
/** The kernel's: who is connected and around. */
export const presenceService = new ServiceKey<PresenceStore>('presence');
/** The kernel's, when `GatewayOptions.cluster` is set: the link to the other instances. */
export const clusterService = new ServiceKey<ClusterLink>('cluster');
/** `systemPlugin`'s: the short queue of system events `status` reports. */
export const systemEventsService = new ServiceKey<SystemEventQueue>('systemEvents');
/** `nodePairingPlugin`'s: nodes paired through `node.pair.*`. */
export const nodePairingService = new ServiceKey<NodePairingStore>('nodePairing');
/** `nodesPlugin`'s: connected nodes and the invokes in flight to them. */
export const nodesService = new ServiceKey<NodeRegistry>('nodes');
/** `channelsPlugin`'s: the messaging channel accounts. */
export const channelsService = new ServiceKey<ChannelManager>('channels');
/** `agentsPlugin`'s: agent runs, sessions and the idempotency ledger. */
export const agentsService = new ServiceKey<AgentService>('agents');
/** `configPlugin`'s: the config file behind `config.*`. */
export const configService = new ServiceKey<ConfigManager>('config');
