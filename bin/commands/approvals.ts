import { readFile } from 'node:fs/promises';
import { DEFAULT_EXEC_POLICY } from '../../lib/approvals/exec-approval-policy.js';
import { GatewayError } from '../../lib/errors.js';
import type { ExecApprovalsFile, ExecApprovalsSnapshot } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import { printJson, printLines, withRpcSession } from '../rpc-action.js';
import type { RpcSession } from '../rpc.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

interface ApprovalsFlags {
  url?: string;
  token?: string;
  password?: string;
  timeout?: number;
  json: boolean;
  node?: string;
  file?: string;
  stdin: boolean;
}

/**
 * `openclaw approvals get|set [--node <id>]` (docs/protocol.md, Exec approvals): the gateway's
 * approvals file, or a node's own through `exec.approvals.node.*`. `set` reads the new file from
 * `--file <path>` or `--stdin` and sends it with the hash it just read, so a concurrent change
 * is refused instead of overwritten.
 */
export function registerApprovalsCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(cli.command('approvals [action]', 'Exec approvals: get (default) | set --file <path> | set --stdin'))
    .option('--node <id>', "A node's approvals file instead of the gateway's")
    .option('--file <path>', 'set: the new approvals file (JSON)')
    .option('--stdin', 'set: read the new approvals file from stdin')
    .action(async (action: string | undefined, flags: Flags) => {
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      return runApprovals(ctx, action ?? 'get', { ...rpc, node: str(flags, 'node'), file: str(flags, 'file'), stdin: Boolean(flags.stdin) });
    });
}

async function runApprovals(ctx: CliContext, action: string, flags: ApprovalsFlags): Promise<number> {
  if (action !== 'get' && action !== 'set') throw new GatewayError('INVALID_REQUEST', `unknown approvals action: ${action} (expected get or set)`);
  const next = action === 'set' ? await readNewFile(flags) : undefined;
  return withRpcSession(ctx, flags, async (session) => {
    let snapshot = await fetchSnapshot(session, flags);
    if (next) snapshot = await storeSnapshot(session, flags, next, snapshot.hash);
    if (flags.json) printJson(snapshot);
    else printLines([...(next ? [`Saved ${flags.node ? `node ${flags.node}'s` : "the gateway's"} exec approvals.`] : []), ...snapshotLines(snapshot)]);
    return 0;
  });
}

async function fetchSnapshot({ client }: RpcSession, flags: ApprovalsFlags): Promise<ExecApprovalsSnapshot> {
  const options = { timeoutMs: flags.timeout };
  if (!flags.node) return client.call('exec.approvals.get', {}, options);
  return asSnapshot(await client.call('exec.approvals.node.get', { nodeId: flags.node }, options), flags.node);
}

async function storeSnapshot({ client }: RpcSession, flags: ApprovalsFlags, file: ExecApprovalsFile, baseHash: string): Promise<ExecApprovalsSnapshot> {
  const options = { timeoutMs: flags.timeout };
  if (!flags.node) return client.call('exec.approvals.set', { file, baseHash }, options);
  return asSnapshot(await client.call('exec.approvals.node.set', { nodeId: flags.node, file, baseHash }, options), flags.node);
}

/** A node answers with its own snapshot; one without a hash cannot take part in `set`. */
function asSnapshot(value: Record<string, unknown>, nodeId: string): ExecApprovalsSnapshot {
  if (typeof value.hash !== 'string' || typeof value.file !== 'object' || value.file === null) {
    throw new GatewayError('UNAVAILABLE', `node ${nodeId} answered without an approvals snapshot (path, hash, file)`);
  }
  return value as unknown as ExecApprovalsSnapshot;
}

async function readNewFile(flags: ApprovalsFlags): Promise<ExecApprovalsFile> {
  if (Boolean(flags.file) === flags.stdin) throw new GatewayError('INVALID_REQUEST', 'usage: openclaw approvals set (--file <path> | --stdin) [--node <id>]');
  const text = flags.file ? await readFile(flags.file, 'utf8') : await readStdin();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new GatewayError('INVALID_REQUEST', `the approvals file is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('INVALID_REQUEST', 'the approvals file must be a JSON object');
  // `version` is the one required key; a file written by hand may leave it out.
  return { version: 1, ...(parsed as object) } as ExecApprovalsFile;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function snapshotLines(snapshot: ExecApprovalsSnapshot): string[] {
  const { file } = snapshot;
  const lines = [`File: ${snapshot.path}${snapshot.exists ? '' : ' (not created yet: defaults apply)'}`, `Hash: ${snapshot.hash}`];
  const builtIn = Object.entries(DEFAULT_EXEC_POLICY).map(([key, value]) => `${key}=${value}`).join(' ');
  lines.push(`Defaults: ${policyText(file.defaults ?? {}, `none set (${builtIn})`)}`);
  const agents = Object.entries(file.agents ?? {});
  if (!agents.length) lines.push('Agents: none');
  for (const [id, agent] of agents) {
    lines.push(`Agent ${id}: ${policyText(agent, 'as the defaults')}`);
    for (const entry of agent.allowlist ?? []) {
      const used = entry.lastUsedAt === undefined ? '' : `  last used ${new Date(entry.lastUsedAt).toISOString()}${entry.lastUsedCommand ? `: ${entry.lastUsedCommand}` : ''}`;
      lines.push(`  allow ${entry.pattern}${used}`);
    }
  }
  return lines;
}

function policyText(policy: { security?: string; ask?: string; askFallback?: string; autoAllowSkills?: boolean }, empty: string): string {
  const parts = Object.entries(policy)
    .filter(([key, value]) => key !== 'allowlist' && key !== 'mcpTools' && value !== undefined)
    .map(([key, value]) => `${key}=${String(value)}`);
  return parts.length ? parts.join(' ') : empty;
}
