import type { ClusterLink, ClusterNode } from '../cluster-link.js';
import type { DevicePairingStore } from '../device-pairing-store.js';
import { invalidRequest } from '../errors.js';
import type { MethodContext } from '../method-context.js';
import { NodeCommandPolicy, type NodeCommandPolicyOptions } from '../nodes/node-command-policy.js';
import { NodeInvokeCache } from '../nodes/node-invoke-cache.js';
import type { NodePairingStore } from '../nodes/node-pairing-store.js';
import { nodeIdOf, NodeRegistry, type ConnectedNode } from '../nodes/node-registry.js';
import { stripUndefined } from '../pairing-state.js';
import type { GatewayHost, GatewayPlugin } from '../plugin.js';
import type { NodeInfo } from '../protocol/generated/types.js';
import { clusterService, devicesService, nodePairingService, nodesService } from '../services.js';

export interface NodesPluginOptions {
  /** Server allowlist node-declared commands are intersected with (config `gateway.nodes`). */
  commands?: NodeCommandPolicyOptions;
  defaultInvokeTimeoutMs?: number;
  /** How long (default five minutes) and for how many keys (default 1000) `node.invoke` results are replayed to retries. */
  invokeReplay?: { ttlMs?: number; maxEntries?: number };
}

/**
 * `node.list|describe|rename|invoke` for operators and the node-only `node.invoke.result` and
 * `node.event` (docs/protocol.md, Nodes), and the registry of connected nodes (`nodesService`). Node
 * connections enter and leave it with the `client-connected` / `client-disconnected` events.
 * Needs `nodePairingPlugin` before it.
 */
export function nodesPlugin(options: NodesPluginOptions = {}): GatewayPlugin {
  return {
    name: 'nodes',
    setup(gateway) {
      const cluster = gateway.optionalService(clusterService);
      const registry = new NodeRegistry({
        clock: gateway.clock,
        policy: new NodeCommandPolicy(options.commands),
        send: (connId, event, payload) => gateway.sendEvent(connId, event, payload),
        defaultTimeoutMs: options.defaultInvokeTimeoutMs,
        onListenerError: (err) => gateway.logger.log('error', 'gateway/nodes', `node event listener failed: ${(err as Error).message}`),
        ...(cluster ? { remote: (input) => cluster.invokeNode(input) } : {}),
      });
      gateway.provide(nodesService, registry);
      registerNodeMethods(gateway, registry, new NodeInvokeCache({ clock: gateway.clock, ...options.invokeReplay }));
      if (cluster) serveClusterNodes(gateway, registry, cluster);
    },
  };
}

/** While a node is connected here, other instances' invokes for it are answered here. */
function serveClusterNodes(gateway: GatewayHost, nodes: NodeRegistry, cluster: ClusterLink): void {
  const served = new Map<string, () => void>();
  const announce = () => cluster.announceNodes(nodes.list().map(clusterNode));
  gateway.on('client-connected', (session) => {
    const nodeId = session.role === 'node' ? nodeIdOf(session) : undefined;
    if (nodeId === undefined) return;
    if (!served.has(nodeId)) served.set(nodeId, cluster.serveNode(nodeId, (input) => nodes.invokeLocal(input)));
    announce();
  });
  gateway.on('client-disconnected', ({ session }) => {
    const nodeId = session.role === 'node' ? nodeIdOf(session) : undefined;
    // Listeners run in order: the registry has forgotten this connection, so a second one of the node keeps it served.
    if (nodeId === undefined) return;
    announce();
    if (nodes.get(nodeId)) return;
    served.get(nodeId)?.();
    served.delete(nodeId);
  });
}

function clusterNode(node: ConnectedNode): ClusterNode {
  const { nodeId, displayName, platform, version, deviceFamily, modelIdentifier, remoteIp, caps, commands, permissions, connectedAtMs } = node;
  return stripUndefined({ nodeId, displayName, platform, version, deviceFamily, modelIdentifier, remoteIp, caps, commands, permissions, connectedAtMs }) as ClusterNode;
}

interface NodeStores {
  nodes: NodeRegistry;
  devices: DevicePairingStore;
  pairing: NodePairingStore;
  /** Nodes connected to the other instances of a cluster. */
  remote?: () => ClusterNode[];
}

function registerNodeMethods(gateway: GatewayHost, nodes: NodeRegistry, invokes: NodeInvokeCache): void {
  const cluster = gateway.optionalService(clusterService);
  const stores: NodeStores = {
    nodes,
    devices: gateway.service(devicesService),
    pairing: gateway.service(nodePairingService),
    ...(cluster ? { remote: () => cluster.peers().flatMap((p) => p.nodes) } : {}),
  };

  gateway.on('client-connected', (session) => {
    if (session.role !== 'node') return;
    const node = nodes.register(session);
    // Declared commands are client input of any length: a Set keeps this linear, and the log names a few.
    const allowed = new Set(node.commands);
    const dropped = node.declaredCommands.filter((c) => !allowed.has(c));
    gateway.logger.log('info', 'gateway/nodes', 'node connected', {
      nodeId: node.nodeId,
      commands: node.commands.length,
      ...(dropped.length ? { notAllowlisted: dropped.slice(0, 20), notAllowlistedCount: dropped.length } : {}),
    });
  });
  gateway.on('client-disconnected', ({ session }) => {
    if (session.role !== 'node') return;
    const node = nodes.unregister(session.connId);
    if (node) gateway.logger.log('info', 'gateway/nodes', 'node disconnected', { nodeId: node.nodeId });
  });

  gateway.registerMethod('node.list', () => ({ ts: gateway.clock.now(), nodes: listNodes(stores) }));

  gateway.registerMethod('node.describe', ({ nodeId }) => {
    const node = listNodes(stores).find((n) => n.nodeId === nodeId);
    if (!node) throw invalidRequest('unknown nodeId');
    return { ts: gateway.clock.now(), ...node };
  });

  gateway.registerMethod('node.rename', async ({ nodeId, displayName }) => {
    const name = displayName.trim();
    if (!name) throw invalidRequest('displayName required');
    const device = stores.devices.getPaired(nodeId);
    const renamedDevice = device?.roles.includes('node') ? await stores.devices.rename(nodeId, name) : undefined;
    const renamedNode = await stores.pairing.rename(nodeId, name);
    if (!renamedDevice && !renamedNode) throw invalidRequest('unknown nodeId');
    return { nodeId, displayName: name };
  });

  gateway.registerMethod('node.invoke', async ({ nodeId, command, params, timeoutMs, idempotencyKey }, ctx) => {
    // A retry comes from the same device (or connection, for clients without one).
    const caller = ctx.session ? (ctx.session.deviceId ?? `conn:${ctx.session.connId}`) : 'in-process';
    const result = await invokes.run({ nodeId, command, params, timeoutMs, idempotencyKey }, (input) => nodes.invoke(input), caller);
    return { ok: true, nodeId, command, payload: result.payload, payloadJSON: result.payloadJSON };
  });

  gateway.registerMethod('node.invoke.result', (params, ctx) => nodes.handleResult(callerNodeId(ctx), params));

  gateway.registerMethod('node.event', ({ event, payload, payloadJSON }, ctx) => {
    const nodeId = callerNodeId(ctx);
    let parsed: unknown = payload ?? null;
    if (typeof payloadJSON === 'string') {
      try {
        parsed = JSON.parse(payloadJSON);
      } catch {
        throw invalidRequest('invalid node.event params: payloadJSON is not valid JSON');
      }
    }
    nodes.emitEvent({
      nodeId,
      connId: ctx.session!.connId,
      event,
      payload: parsed,
      payloadJSON: typeof payloadJSON === 'string' ? payloadJSON : null,
      ts: gateway.clock.now(),
    });
    return { ok: true };
  });
}

/** Node-only methods need a node connection; in-process calls have none. */
function callerNodeId(ctx: MethodContext<unknown>): string {
  const session = ctx.session;
  if (!session || session.role !== 'node') throw invalidRequest(`unauthorized role: ${session?.role ?? 'operator'}`);
  return nodeIdOf(session);
}

/**
 * Every node the gateway knows: device-paired with role `node`, paired through `node.pair.*`,
 * or connected right now. Connected ones first, then by name. A name given by `node.rename`
 * (stored with the pairing) wins over the one the node announces.
 */
function listNodes({ nodes, devices, pairing, remote }: NodeStores): NodeInfo[] {
  const policy = nodes.policy;
  const byId = new Map<string, NodeInfo>();
  const entry = (nodeId: string): NodeInfo => {
    let info = byId.get(nodeId);
    if (!info) {
      info = { nodeId, caps: [], commands: [], paired: false, connected: false };
      byId.set(nodeId, info);
    }
    return info;
  };

  for (const live of nodes.list()) {
    Object.assign(entry(live.nodeId), stripUndefined({
      displayName: live.displayName,
      platform: live.platform,
      version: live.version,
      deviceFamily: live.deviceFamily,
      modelIdentifier: live.modelIdentifier,
      remoteIp: live.remoteIp,
      caps: live.caps,
      commands: live.commands,
      pathEnv: live.pathEnv,
      permissions: live.permissions,
      connectedAtMs: live.connectedAtMs,
      connected: true,
    }));
  }
  // One connected to this instance wins over the same node reported by another.
  for (const live of remote?.() ?? []) {
    if (byId.get(live.nodeId)?.connected) continue;
    Object.assign(entry(live.nodeId), stripUndefined({ ...live, caps: [...live.caps], commands: [...live.commands], connected: true }));
  }
  for (const node of pairing.listPaired()) {
    const info = entry(node.nodeId);
    const offline = !info.connected;
    Object.assign(info, stripUndefined({
      displayName: node.displayName,
      ...(offline
        ? {
            platform: node.platform,
            version: node.version,
            deviceFamily: node.deviceFamily,
            modelIdentifier: node.modelIdentifier,
            remoteIp: node.remoteIp,
            caps: node.caps ? [...new Set(node.caps)].sort() : undefined,
            commands: node.commands ? policy.filter(node.commands) : undefined,
            permissions: node.permissions,
          }
        : {}),
      coreVersion: node.coreVersion,
      uiVersion: node.uiVersion,
      paired: true,
    }));
  }
  for (const device of devices.listPaired()) {
    if (!device.roles.includes('node')) continue;
    const info = entry(device.deviceId);
    const renamed = pairing.getPaired(device.deviceId)?.displayName !== undefined;
    Object.assign(info, stripUndefined({
      displayName: renamed ? undefined : device.displayName,
      platform: info.platform ?? device.platform,
      remoteIp: info.remoteIp ?? device.remoteIp,
      paired: true,
    }));
  }

  return [...byId.values()].sort((a, b) => {
    if (a.connected !== b.connected) return a.connected ? -1 : 1;
    const byName = (a.displayName ?? a.nodeId).localeCompare(b.displayName ?? b.nodeId);
    return byName !== 0 ? byName : a.nodeId.localeCompare(b.nodeId);
  });
}
