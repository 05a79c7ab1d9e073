import type { GatewayCallOptions } from '../lib/client/index.js';
import type { GatewayMethodMap } from '../lib/protocol/generated/types.js';
import type { CliContext } from './cli-context.js';
import { openRpcSession, type RpcFlags, type RpcSession } from './rpc.js';

export interface PrintRpcFlags extends RpcFlags {
  json: boolean;
}

/** Runs one helper command over a fresh RPC session and always closes it. */
export async function withRpcSession<T>(ctx: CliContext, flags: RpcFlags, run: (session: RpcSession) => Promise<T>): Promise<T> {
  const session = await openRpcSession(ctx, flags);
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

/**
 * The shape of most helper commands: one typed call, then the result as JSON (`--json`) or as
 * the lines `human` makes of it. Resolves with the exit code.
 */
export function printRpc<M extends keyof GatewayMethodMap>(
  ctx: CliContext,
  flags: PrintRpcFlags,
  method: M,
  params: GatewayMethodMap[M]['params'],
  human: (result: GatewayMethodMap[M]['result']) => string[],
  options: GatewayCallOptions = { timeoutMs: flags.timeout },
): Promise<number> {
  return withRpcSession(ctx, flags, async ({ client }) => {
    const call = client.call.bind(client) as (method: string, params: unknown, options: GatewayCallOptions) => Promise<unknown>;
    const result = (await call(method, params, options)) as GatewayMethodMap[M]['result'];
    if (flags.json) printJson(result);
    else printLines(human(result));
    return 0;
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLines(lines: readonly string[]): void {
  process.stdout.write(lines.join('\n') + '\n');
}

/** "12s ago", "5m ago", "3h ago", "2d ago". */
export function formatAgo(ts: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}
