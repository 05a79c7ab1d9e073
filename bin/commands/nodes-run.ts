import { randomUUID } from 'node:crypto';
import { DEFAULT_EXEC_APPROVAL_TIMEOUT_MS } from '../../lib/approvals/exec-approval-queue.js';
import { GatewayError } from '../../lib/errors.js';
import type { CliContext } from '../cli-context.js';
import { printJson, withRpcSession } from '../rpc-action.js';
import type { RpcFlags } from '../rpc.js';

export interface NodeRunOptions {
  node?: string;
  cwd?: string;
  agentId?: string;
  commandTimeoutMs?: number;
}

const USAGE = 'usage: openclaw nodes run --node <id> [--cwd <dir>] [--agent <id>] [--command-timeout <ms>] [--] <cmd...>';
/** How long the node gets to run the command when --command-timeout does not say. */
const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
/** Room for the answer to travel back, beyond the node's own deadline. */
const RPC_MARGIN_MS = 5_000;

/**
 * `openclaw nodes run`: `system.run` on a node through `node.invoke`. The gateway holds it until
 * its exec approvals let it through (an operator may have to approve it first), so the call
 * waits for that window as well as for the command. The command's stdout and stderr are
 * printed as they came, and its exit code is ours.
 */
export async function runOnNode(ctx: CliContext, flags: RpcFlags & { json: boolean }, options: NodeRunOptions, argv: string[]): Promise<number> {
  if (!options.node || argv.length === 0 || !argv[0]) throw new GatewayError('INVALID_REQUEST', USAGE);
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (!Number.isInteger(commandTimeoutMs) || commandTimeoutMs <= 0) throw new GatewayError('INVALID_REQUEST', '--command-timeout must be a positive number of ms');
  const params = {
    command: argv,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.agentId ? { agentId: options.agentId } : {}),
    timeoutMs: commandTimeoutMs,
  };
  return withRpcSession(ctx, flags, async ({ client }) => {
    const result = await client.call(
      'node.invoke',
      { nodeId: options.node!, command: 'system.run', params, timeoutMs: commandTimeoutMs + RPC_MARGIN_MS, idempotencyKey: randomUUID() },
      { timeoutMs: DEFAULT_EXEC_APPROVAL_TIMEOUT_MS + commandTimeoutMs + 2 * RPC_MARGIN_MS },
    );
    if (flags.json) {
      printJson(result);
      return 0;
    }
    const payload = (typeof result.payload === 'object' && result.payload !== null ? result.payload : {}) as Record<string, unknown>;
    if (typeof payload.stdout === 'string') process.stdout.write(payload.stdout);
    if (typeof payload.stderr === 'string') process.stderr.write(payload.stderr);
    if (typeof payload.error === 'string' && payload.error) process.stderr.write(`openclaw: ${payload.error}\n`);
    if (Number.isInteger(payload.exitCode)) return payload.exitCode as number;
    return payload.success === false || payload.timedOut === true ? 1 : 0;
  });
}
