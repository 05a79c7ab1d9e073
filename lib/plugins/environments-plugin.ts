import { GatewayError } from '../errors.js';
import type { ConnectedNode } from '../nodes/node-registry.js';
import type { GatewayPlugin } from '../plugin.js';
import type { EnvironmentSummary } from '../protocol/generated/types.js';
import { nodesService } from '../services.js';

/**
 * `environments.list|status` (protocol 4): the places commands can run, which here are the
 * connected nodes. Needs the nodes plugin before it.
 */
export function environmentsPlugin(): GatewayPlugin {
  let offs: Array<() => void> = [];
  return {
    name: 'environments',
    setup(gateway) {
      const nodes = gateway.service(nodesService);
      offs = [
        gateway.registerMethod('environments.list', () => ({ environments: newestPerNode(nodes.list()).map(environmentOf) })),
        gateway.registerMethod('environments.status', ({ environmentId }) => {
          const node = newestPerNode(nodes.list()).find((n) => n.nodeId === environmentId);
          if (!node) throw new GatewayError('INVALID_REQUEST', `unknown environment "${environmentId}"`, { details: { environmentId } });
          return environmentOf(node);
        }),
      ];
    },
    stop() {
      for (const off of offs.splice(0)) off();
    },
  };
}

/** A node connected twice (a reconnect racing the old socket) is one environment: its newest connection. */
function newestPerNode(list: ConnectedNode[]): ConnectedNode[] {
  const byId = new Map<string, ConnectedNode>();
  for (const node of list) {
    const seen = byId.get(node.nodeId);
    if (!seen || node.connectedAtMs >= seen.connectedAtMs) byId.set(node.nodeId, node);
  }
  return [...byId.values()];
}

function environmentOf(node: ConnectedNode): EnvironmentSummary {
  return {
    id: node.nodeId,
    type: 'node',
    label: node.displayName || node.nodeId,
    status: 'available',
    ...(node.platform ? { platform: node.platform } : {}),
    lastConnectedAtMs: node.connectedAtMs,
    capabilities: node.caps,
    invocableCommands: node.commands.slice(0, 128),
  };
}
