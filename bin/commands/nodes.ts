import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../lib/errors.js';
import type { NodeInfo, NodePairingRequest } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import { formatAgo, printJson, printLines, printRpc, withRpcSession } from '../rpc-action.js';
import { runOnNode, type NodeRunOptions } from './nodes-run.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

const USAGE = {
  describe: 'openclaw nodes describe <nodeId>',
  approve: 'openclaw nodes approve <requestId>',
  reject: 'openclaw nodes reject <requestId>',
  rename: 'openclaw nodes rename <nodeId> <name>',
  invoke: 'openclaw nodes invoke <nodeId> <command> [--params <json>] [--timeout <ms>]',
};

/** The node invoke waits up to --timeout; the RPC around it gets this much longer to carry the answer back. */
const INVOKE_RPC_MARGIN_MS = 5_000;

interface NodesFlags {
  url?: string;
  token?: string;
  password?: string;
  timeout?: number;
  json: boolean;
  params?: string;
  run: NodeRunOptions;
}

/** `openclaw nodes list|describe|pending|approve|reject|rename|invoke|run` (docs/protocol.md, Nodes). */
export function registerNodesCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(
    cli.command(
      'nodes [action] [...args]',
      'Nodes: list (default) | describe <nodeId> | pending | approve <requestId> | reject <requestId> | rename <nodeId> <name> | invoke <nodeId> <command> | run --node <id> <cmd...>',
    ),
  )
    .option('--params <json>', 'invoke: command params as JSON')
    .option('--node <id>', 'run: the node to run on')
    .option('--cwd <dir>', 'run: working directory on the node')
    .option('--agent <id>', "run: whose exec approvals apply (default: the gateway's default agent)")
    .option('--command-timeout <ms>', 'run: how long the command may run on the node')
    .action(async (action: string | undefined, args: string[], flags: Flags) => {
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      // Everything after `--` is the command too: `nodes run --node pi -- ls -la`.
      const rest = Array.isArray(flags['--']) ? (flags['--'] as unknown[]).map(String) : [];
      const commandTimeout = str(flags, 'command-timeout');
      return runNodes(ctx, action ?? 'list', [...args, ...rest], {
        ...rpc,
        params: str(flags, 'params'),
        run: { node: str(flags, 'node'), cwd: str(flags, 'cwd'), agentId: str(flags, 'agent'), commandTimeoutMs: commandTimeout === undefined ? undefined : Number(commandTimeout) },
      });
    });
}

async function runNodes(ctx: CliContext, action: string, args: string[], flags: NodesFlags): Promise<number> {
  const need = (count: number, usage: string): string[] => {
    if (args.length < count || args.slice(0, count).some((a) => !a)) throw new GatewayError('INVALID_REQUEST', `usage: ${usage}`);
    return args;
  };
  switch (action) {
    case 'list':
      return printRpc(ctx, flags, 'node.list', {}, ({ nodes }) => (nodes.length ? nodes.map(nodeLine) : ['No nodes.']));
    case 'describe': {
      const [nodeId] = need(1, USAGE.describe);
      return printRpc(ctx, flags, 'node.describe', { nodeId: nodeId! }, describeLines);
    }
    case 'pending':
      return withRpcSession(ctx, flags, async ({ client }) => {
        const { pending } = await client.call('node.pair.list', {}, { timeoutMs: flags.timeout });
        if (flags.json) printJson({ pending });
        else printLines(pending.length ? pending.map(pendingLine) : ['No pending node pairing requests.']);
        return 0;
      });
    case 'approve': {
      const [requestId] = need(1, USAGE.approve);
      return printRpc(ctx, flags, 'node.pair.approve', { requestId: requestId! }, ({ node, requestId: id }) => [
        `Approved node ${label(node)} (request ${id}).`,
        `Node token: ${node.token}`,
      ]);
    }
    case 'reject': {
      const [requestId] = need(1, USAGE.reject);
      return printRpc(ctx, flags, 'node.pair.reject', { requestId: requestId! }, (r) => [`Rejected node ${r.nodeId} (request ${r.requestId}).`]);
    }
    case 'rename': {
      const [nodeId, ...name] = need(2, USAGE.rename);
      return printRpc(ctx, flags, 'node.rename', { nodeId: nodeId!, displayName: name.join(' ') }, (r) => [
        `Renamed ${r.nodeId} to ${JSON.stringify(r.displayName)}.`,
      ]);
    }
    case 'invoke': {
      const [nodeId, command] = need(2, USAGE.invoke);
      const params = parseParams(flags.params);
      const timeoutMs = flags.timeout ?? 10_000;
      const request = { nodeId: nodeId!, command: command!, ...(params === undefined ? {} : { params }), timeoutMs, idempotencyKey: randomUUID() };
      // Without --json the answer is the node's payload alone, ready for `jq`.
      return printRpc(ctx, flags, 'node.invoke', request, (r) => [JSON.stringify(r.payload ?? null, null, 2)], {
        timeoutMs: timeoutMs + INVOKE_RPC_MARGIN_MS,
      });
    }
    case 'run':
      return runOnNode(ctx, flags, flags.run, args);
    default:
      throw new GatewayError(
        'INVALID_REQUEST',
        `unknown nodes action: ${action} (expected list, describe, pending, approve, reject, rename, invoke or run)`,
      );
  }
}

function parseParams(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new GatewayError('INVALID_REQUEST', `--params is not valid JSON: ${(err as Error).message}`);
  }
}

function label(node: { nodeId: string; displayName?: string }): string {
  return node.displayName ? `${node.displayName} (${node.nodeId})` : node.nodeId;
}

function nodeLine(node: NodeInfo): string {
  const parts = [
    label(node),
    node.connected ? 'connected' : 'offline',
    node.paired ? 'paired' : 'unpaired',
    ...(node.platform ? [node.platform] : []),
    `commands: ${node.commands.length ? node.commands.join(', ') : '-'}`,
  ];
  return parts.join('  ');
}

function describeLines(node: NodeInfo & { ts: number }): string[] {
  const lines = [
    `Node: ${label(node)}`,
    `State: ${node.connected ? 'connected' : 'offline'}, ${node.paired ? 'paired' : 'not paired'}`,
  ];
  if (node.connectedAtMs !== undefined) lines.push(`Connected: ${formatAgo(node.connectedAtMs, node.ts)}`);
  if (node.platform) lines.push(`Platform: ${[node.platform, node.deviceFamily, node.modelIdentifier].filter(Boolean).join(' / ')}`);
  if (node.version) lines.push(`Version: ${node.version}`);
  if (node.remoteIp) lines.push(`Remote IP: ${node.remoteIp}`);
  lines.push(`Caps: ${node.caps.length ? node.caps.join(', ') : '-'}`);
  lines.push(`Commands: ${node.commands.length ? node.commands.join(', ') : '-'}`);
  if (node.permissions) {
    const granted = Object.entries(node.permissions).map(([k, v]) => `${k}=${v ? 'yes' : 'no'}`);
    lines.push(`Permissions: ${granted.join(', ') || '-'}`);
  }
  if (node.pathEnv) lines.push(`PATH: ${node.pathEnv}`);
  return lines;
}

function pendingLine(request: NodePairingRequest): string {
  const what = [request.displayName, request.platform, request.remoteIp && `from ${request.remoteIp}`].filter(Boolean).join(', ');
  return `${request.requestId}  ${request.nodeId}${what ? `  (${what})` : ''}  ${formatAgo(request.ts)}${request.isRepair ? '  repair' : ''}`;
}
