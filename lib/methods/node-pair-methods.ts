import type { Gateway } from '../gateway.js';

/** `node.pair.*` (protocol §6.8); all need the pairing scope, and so do their events. */
export function registerNodePairMethods(gateway: Gateway): void {
  const store = gateway.nodePairing;

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
