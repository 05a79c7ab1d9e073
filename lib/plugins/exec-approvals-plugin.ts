import { ExecApprovalQueue } from '../approvals/exec-approval-queue.js';
import { EXEC_APPROVAL_DECISIONS, type ExecApprovalDecisionValue } from '../approvals/exec-approval-policy.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { NodeRegistry } from '../nodes/node-registry.js';
import { loadOnce } from '../load-once.js';
import type { GatewayPlugin } from '../plugin.js';
import type { ExecApprovalsNodeSnapshot } from '../protocol/generated/types.js';
import { agentsService, nodesService } from '../services.js';
import type { Storage } from '../storage.js';

/** How long a node has to answer `system.execApprovals.get|set`. */
const NODE_RELAY_TIMEOUT_MS = 15_000;

export interface ExecApprovalsPluginOptions {
  /** The state dir: the approvals file is `exec-approvals.json` in it. */
  storage: Storage;
  /** How long operators have to answer an approval the `system.run` gate asks for. Default 120 s. */
  approvalTimeoutMs?: number;
  /** How long `exec.approval.request` waits when its params name no `timeoutMs`. Default 120 s. */
  defaultRequestTimeoutMs?: number;
}

/**
 * Exec approvals (docs/protocol.md, Exec approvals): `exec.approvals.get|set` over the gateway's
 * approvals file, `exec.approvals.node.get|set` relayed to a node's own file, operator decisions
 * through `exec.approval.request|resolve` with the `exec.approval.requested|resolved` events, and
 * the gate every `system.run` sent to a node passes. Needs `nodesPlugin` before it.
 */
export function execApprovalsPlugin(options: ExecApprovalsPluginOptions): GatewayPlugin {
  let queue: ExecApprovalQueue | undefined;
  let removeGuard: (() => void) | undefined;
  return {
    name: 'exec-approvals',
    setup(gateway) {
      const nodes = gateway.service(nodesService);
      const approvals = new ExecApprovalQueue({
        clock: gateway.clock,
        defaultTimeoutMs: options.defaultRequestTimeoutMs,
        onRequested: (payload) => gateway.broadcast('exec.approval.requested', payload),
        onResolved: (payload) => gateway.broadcast('exec.approval.resolved', payload),
      });
      queue = approvals;
      // The approvals file and the system.run gate load at the first node invoke or exec.approvals call.
      const approvalsFile = loadOnce(async () => {
        const [{ ExecApprovalsStore }, { SystemRunGate }] = await Promise.all([import('../approvals/exec-approvals-store.js'), import('../approvals/system-run-gate.js')]);
        const store = new ExecApprovalsStore({ storage: options.storage });
        const gate = new SystemRunGate({
          store,
          queue: approvals,
          clock: gateway.clock,
          defaultAgentId: gateway.defaultAgentId,
          approvalTimeoutMs: options.approvalTimeoutMs,
          agentExists: (id) => {
            const settings = gateway.optionalService(agentsService)?.settings;
            return settings ? settings.get(id) !== undefined : id === gateway.defaultAgentId;
          },
        });
        return { store, gate };
      });
      removeGuard = nodes.addGuard(async (input) => (await approvalsFile()).gate.check(input));

      gateway.registerMethod('exec.approvals.get', async () => (await approvalsFile()).store.snapshot());
      gateway.registerMethod('exec.approvals.set', async ({ file, baseHash }) => (await approvalsFile()).store.set(file, baseHash));
      gateway.registerMethod('exec.approvals.node.get', ({ nodeId }) => relay(nodes, nodeId, 'system.execApprovals.get', {}));
      gateway.registerMethod('exec.approvals.node.set', ({ nodeId, file, baseHash }) =>
        relay(nodes, nodeId, 'system.execApprovals.set', { file, ...(baseHash === undefined ? {} : { baseHash }) }),
      );

      // A client that connects (or reconnects) while commands wait sees them without having caught the events.
      gateway.registerMethod('exec.approval.list', () => approvals.list());
      gateway.registerMethod('exec.approval.request', ({ id, timeoutMs, ...request }) => approvals.ask({ id, request, timeoutMs }));
      gateway.registerMethod('exec.approval.resolve', ({ id, decision, reviewer }, ctx) => {
        if (!isDecision(decision)) throw invalidRequest('invalid decision');
        const client = ctx.session?.client;
        const resolvedBy = reviewer ? `${reviewer.channel}:${reviewer.accountId}:${reviewer.senderId}` : (client?.displayName ?? client?.id ?? null);
        approvals.resolve(id, decision, resolvedBy);
        return { ok: true };
      });
    },
    stop() {
      removeGuard?.();
      queue?.close();
      removeGuard = undefined;
      queue = undefined;
    },
  };
}

/** Runs one of the node's approvals commands and hands back its snapshot as it answered. */
async function relay(nodes: NodeRegistry, nodeId: string, command: string, params: object): Promise<ExecApprovalsNodeSnapshot> {
  if (!nodes.get(nodeId)) throw new GatewayError('UNAVAILABLE', 'node not connected', { details: { code: 'NOT_CONNECTED', nodeId } });
  const { payload } = await nodes.invoke({ nodeId, command, params, timeoutMs: NODE_RELAY_TIMEOUT_MS, internal: true });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new GatewayError('UNAVAILABLE', `node answered ${command} without an approvals snapshot`, { details: { nodeId } });
  }
  return payload as ExecApprovalsNodeSnapshot;
}

function isDecision(value: string): value is ExecApprovalDecisionValue {
  return (EXEC_APPROVAL_DECISIONS as readonly string[]).includes(value);
}
