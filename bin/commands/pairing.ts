import { ChannelPairingStore } from '../../lib/channels/channel-pairing-store.js';
import { GatewayError } from '../../lib/errors.js';
import { FileStorage } from '../../lib/file-storage.js';
import { maskDigits } from '../../lib/channels/redact.js';
import { clusterConfig } from '../../lib/config/own-settings.js';
import { loadOptional } from '../../runtime/optional-package.js';
import { loadCliContext, type CliContext } from '../cli-context.js';
import { formatAgo, printJson, printLines } from '../rpc-action.js';
import type { CommandKit, Flags } from './command-kit.js';

const CHANNELS = ['whatsapp', 'telegram'];
const USAGE = 'openclaw pairing approve <channel> <code>';

/**
 * `openclaw pairing list [channel]` and `openclaw pairing approve <channel> <code>`: DM pairing
 * codes of messaging channels. They work on the state dir directly (atomic writes), so they work
 * whether or not the gateway runs; a running gateway sees an approval on the sender's next message.
 * In a cluster (`cluster.postgres`) they work on the shared store instead, which every instance reads.
 */
export function registerPairingCommands(kit: CommandKit): void {
  const { cli, globals } = kit;
  cli
    .command('pairing [action] [...args]', `Channel DM pairing: list [channel] (default) | approve <channel> <code>`)
    .option('--json', 'Print JSON')
    .action(async (action: string | undefined, args: string[], flags: Flags) => {
      const ctx = await loadCliContext(globals(flags));
      return runPairing(ctx, action ?? 'list', args, Boolean(flags.json));
    });
}

export async function runPairing(ctx: CliContext, action: string, args: string[], json: boolean): Promise<number> {
  const postgres = clusterConfig(ctx.loaded.config)?.postgres;
  const cluster = postgres
    ? await (await loadOptional('The cluster store (cluster.postgres)', () => import('../../cluster/postgres.js'))).PostgresCluster.connect({ url: postgres.url, schema: postgres.schema, instanceId: `cli-${process.pid}` })
    : undefined;
  try {
    return await pairingAction(new ChannelPairingStore({ storage: cluster?.storage ?? new FileStorage(ctx.stateDir) }), action, args, json);
  } finally {
    await cluster?.close();
  }
}

async function pairingAction(store: ChannelPairingStore, action: string, args: string[], json: boolean): Promise<number> {
  switch (action) {
    case 'list': {
      const channels = args[0] ? [channelArg(args[0])] : CHANNELS;
      const lists = await Promise.all(channels.map((c) => store.list(c)));
      if (json) {
        printJson(args[0] ? lists[0] : lists);
        return 0;
      }
      const lines: string[] = [];
      for (const list of lists) {
        lines.push(`${list.channel}: ${list.pending.length} pending, ${list.allowed.length} approved`);
        for (const r of list.pending) lines.push(`  ${r.code}  ${r.senderName ?? ''} (${maskDigits(r.senderId)})  ${formatAgo(r.ts)}`);
      }
      printLines(lines);
      return 0;
    }
    case 'approve': {
      const [channel, code] = args;
      if (!channel || !code) throw new GatewayError('INVALID_REQUEST', `usage: ${USAGE}`);
      const { request, entry } = await store.approve(channelArg(channel), code);
      if (json) printJson({ channel: request.channel, code: entry.code, senderId: entry.senderId, approvedAtMs: entry.approvedAtMs });
      else printLines([`Approved ${request.senderName ?? 'sender'} (${maskDigits(request.senderId)}) on ${request.channel}; their next message reaches the agent.`]);
      return 0;
    }
    default:
      throw new GatewayError('INVALID_REQUEST', `unknown pairing action: ${action} (expected list or approve)`);
  }
}

function channelArg(value: string): string {
  const channel = value.trim().toLowerCase();
  if (!CHANNELS.includes(channel)) throw new GatewayError('INVALID_REQUEST', `unsupported channel: ${value} (expected ${CHANNELS.join(' or ')})`);
  return channel;
}
