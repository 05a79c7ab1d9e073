import { GatewayError } from '../../lib/errors.js';
import type { HeartbeatEventPayload } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import { formatAgo, printRpc, type PrintRpcFlags } from '../rpc-action.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

const USAGE = 'openclaw system event --text <text> [--mode now|next-heartbeat] | heartbeat last|enable|disable | presence';

/**
 * `openclaw system event --text … [--mode now]` (`wake`), `openclaw system heartbeat
 * last|enable|disable` (`last-heartbeat`, `set-heartbeats`) and `openclaw system presence`.
 */
export function registerSystemCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(cli.command('system [group] [...args]', `System events and heartbeats: ${USAGE}`))
    .option('--text <text>', 'event: the system event text')
    .option('--mode <mode>', 'event: now (run a heartbeat at once) or next-heartbeat (default)')
    .action(async (group: string | undefined, args: string[], flags: Flags) => {
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      return runSystem(ctx, group, args, rpc, { text: str(flags, 'text'), mode: str(flags, 'mode') });
    });
}

async function runSystem(ctx: CliContext, group: string | undefined, args: string[], flags: PrintRpcFlags, event: { text?: string; mode?: string }): Promise<number> {
  switch (group) {
    case 'event': {
      const text = event.text?.trim();
      if (!text) throw new GatewayError('INVALID_REQUEST', '--text is required; usage: openclaw system event --text <text> [--mode now|next-heartbeat]');
      const mode = event.mode ?? 'next-heartbeat';
      if (mode !== 'now' && mode !== 'next-heartbeat') throw new GatewayError('INVALID_REQUEST', `--mode must be now or next-heartbeat, not ${mode}`);
      return printRpc(ctx, flags, 'wake', { mode, text }, () => [mode === 'now' ? 'System event queued; a heartbeat runs now.' : 'System event queued for the next heartbeat.']);
    }
    case 'heartbeat':
      switch (args[0]) {
        case 'last':
          return printRpc(ctx, flags, 'last-heartbeat', {}, (last) => heartbeatLines(last));
        case 'enable':
        case 'disable': {
          const enabled = args[0] === 'enable';
          return printRpc(ctx, flags, 'set-heartbeats', { enabled }, (r) => [`Heartbeats ${r.enabled ? 'enabled' : 'disabled'}.`]);
        }
        default:
          throw new GatewayError('INVALID_REQUEST', `usage: openclaw system heartbeat last|enable|disable`);
      }
    case 'presence':
      return printRpc(ctx, flags, 'system-presence', {}, (entries) => (entries.length ? entries.map((e) => e.text ?? e.host ?? '?') : ['No presence entries.']));
    default:
      throw new GatewayError('INVALID_REQUEST', `usage: ${USAGE}`);
  }
}

function heartbeatLines(last: HeartbeatEventPayload | null): string[] {
  if (!last) return ['No heartbeat has run yet.'];
  const where = last.to ? ` to ${last.channel ?? '?'}:${last.to}` : '';
  const why = last.reason ? ` (${last.reason})` : '';
  const lines = [`Last heartbeat: ${last.status}${where}${why}, ${formatAgo(last.ts)}${last.agentId ? ` (agent ${last.agentId})` : ''}`];
  if (last.preview) lines.push(`  ${last.preview}`);
  return lines;
}
