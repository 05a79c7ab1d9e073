import { NodePairingStore } from '../nodes/node-pairing-store.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import { nodePairingService } from '../services.js';
import type { Storage } from '../storage.js';

export interface NodePairingPluginOptions {
  /** Where paired nodes are kept (`nodes/pending.json`, `nodes/paired.json`). */
  storage: Storage;
}

/**
 * `node.pair.*`, whose methods and events all need the pairing scope, and the
 * store of paired nodes (`nodePairingService`), loaded at start.
 */
export function nodePairingPlugin(options: NodePairingPluginOptions): GatewayPlugin {
  let store: NodePairingStore | undefined;
  return {
    name: 'node-pairing',
    setup(gateway) {
      store = new NodePairingStore({ storage: options.storage, now: () => gateway.clock.now() });
      gateway.provide(nodePairingService, store);
      registerNodePairMethods(gateway, store);
    },
    start: () => store?.load(),
  };
}

function registerNodePairMethods(gateway: GatewayHost, store: NodePairingStore): void {
  gateway.registerMethod('node.pair.request', async (params) => {
    const { request, created } = await store.request(params);
    if (created) gateway.broadcast('node.pair.requested', request);
    return { status: 'pending', request, created };
  });

  gateway.registerMethod('node.pair.list', () => ({ pending: store.listPending(), paired: store.listPaired() }));

  gateway.registerMethod('node.pair.approve', async ({ requestId }) => {
    const node = await store.approve(requestId);
    gateway.broadcast('node.pair.resolved', { requestId, nodeId: node.nodeId, decision: 'approved', ts: gateway.clock.now() });
    return { requestId, node };
  });

  gateway.registerMethod('node.pair.reject', async ({ requestId }) => {
    const result = await store.reject(requestId);
    gateway.broadcast('node.pair.resolved', { requestId, nodeId: result.nodeId, decision: 'rejected', ts: gateway.clock.now() });
    return result;
  });

  gateway.registerMethod('node.pair.verify', ({ nodeId, token }) => store.verify(nodeId, token));
}
