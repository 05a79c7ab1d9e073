import { GatewayError } from '../../lib/errors.js';
import { loadOptional } from '../../runtime/optional-package.js';
import type { ChannelAccountSnapshot, ChannelsStatusResult } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import type { RpcFlags } from '../rpc.js';
import { formatAgo, printJson, printLines, withRpcSession } from '../rpc-action.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

export interface ChannelsFlags extends RpcFlags {
  json: boolean;
  channel?: string;
  account?: string;
  force?: boolean;
  /** login: give up after this many ms without a scan (default 5 minutes). */
  wait?: number;
}

/** Where the login command writes; tests capture it. */
export type Output = (text: string) => void;

const WAIT_SLICE_MS = 20_000;

/** `openclaw channels status|login|logout`. */
export function registerChannelsCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(
    cli.command('channels [action]', 'Messaging channels: status (default) | login --channel whatsapp | logout --channel <id>'),
  )
    .option('--channel <id>', 'login/logout: the channel (login supports whatsapp)')
    .option('--account <id>', 'login/logout: the channel account (default: the default account)')
    .option('--force', 'login: unlink the current WhatsApp session first and show a new QR')
    .option('--wait <ms>', 'login: how long to wait for the QR scan', { default: 300_000 })
    .action(async (action: string | undefined, flags: Flags) => {
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      return runChannels(ctx, action ?? 'status', {
        ...rpc,
        channel: str(flags, 'channel'),
        account: str(flags, 'account'),
        force: Boolean(flags.force),
        wait: flags.wait === undefined ? undefined : Number(flags.wait),
      });
    });
}

export async function runChannels(ctx: CliContext, action: string, flags: ChannelsFlags, out: Output = (t) => process.stdout.write(t)): Promise<number> {
  switch (action) {
    case 'status':
      return withRpcSession(ctx, flags, async ({ client }) => {
        const status = await client.call('channels.status', {}, { timeoutMs: flags.timeout });
        if (flags.json) printJson(status);
        else printLines(statusLines(status));
        return 0;
      });
    case 'login':
      return login(ctx, flags, out);
    case 'logout': {
      const channel = flags.channel?.trim().toLowerCase();
      if (!channel) throw new GatewayError('INVALID_REQUEST', 'usage: openclaw channels logout --channel <id> [--account <id>]');
      return withRpcSession(ctx, flags, async ({ client }) => {
        const result = await client.call('channels.logout', { channel, ...(flags.account ? { accountId: flags.account } : {}) }, { timeoutMs: flags.timeout });
        if (flags.json) printJson(result);
        else printLines([`${channel} account ${result.accountId}: ${result.cleared ? 'credentials removed' : 'no stored credentials'}${result.loggedOut ? ', session ended' : ''}.`]);
        return 0;
      });
    }
    default:
      throw new GatewayError('INVALID_REQUEST', `unknown channels action: ${action} (expected status, login or logout)`);
  }
}

/**
 * The QR login runs in the gateway (the only process that holds the WhatsApp connection); this
 * command shows its QR in the terminal and waits for the scan, redrawing when the QR rotates.
 */
async function login(ctx: CliContext, flags: ChannelsFlags, out: Output): Promise<number> {
  const channel = (flags.channel ?? 'whatsapp').trim().toLowerCase();
  if (channel !== 'whatsapp') throw new GatewayError('INVALID_REQUEST', `channels login supports --channel whatsapp only (got ${channel})`);
  const accountId = flags.account ? { accountId: flags.account } : {};
  return withRpcSession(ctx, flags, async ({ client }) => {
    const callTimeout = (waitMs: number) => ({ timeoutMs: waitMs + (flags.timeout ?? 10_000) });
    let started = await client.call('web.login.start', { ...accountId, ...(flags.force ? { force: true } : {}) }, callTimeout(30_000));
    if (started.linked) {
      out(`${started.message}\n`);
      return 0;
    }
    let shown = '';
    const deadline = Date.now() + (flags.wait ?? 300_000);
    for (;;) {
      if (started.qr && started.qr !== shown) {
        shown = started.qr;
        out(`${started.message}\n${await renderQr(started.qr)}\n`);
      }
      const slice = Math.max(0, Math.min(WAIT_SLICE_MS, deadline - Date.now()));
      const waited = await client.call('web.login.wait', { ...accountId, timeoutMs: slice }, callTimeout(slice));
      if (waited.connected) {
        out(`${waited.message}\n`);
        return 0;
      }
      if (Date.now() >= deadline) {
        out(`Gave up waiting for the scan: ${waited.message}\n`);
        return 1;
      }
      // A login that ended (expired QR, refused) is reported; a pending one hands back its current QR.
      const status = await client.call('channels.status', {}, { timeoutMs: flags.timeout });
      const account = status.channelAccounts.whatsapp?.find((a) => a.accountId === (flags.account ?? status.channelDefaultAccountId.whatsapp));
      if (account?.linked) {
        out(`${waited.message}\n`);
        return 0;
      }
      if (!account?.loginInProgress) {
        out(`WhatsApp login failed: ${waited.message}\n`);
        return 1;
      }
      started = await client.call('web.login.start', accountId, callTimeout(30_000));
    }
  });
}

async function renderQr(data: string): Promise<string> {
  const { default: qrcode } = await loadOptional('Drawing the WhatsApp QR code', () => import('qrcode-terminal'));
  let drawn = '';
  qrcode.generate(data, { small: true }, (text) => (drawn = text));
  return drawn;
}

function statusLines(status: ChannelsStatusResult): string[] {
  if (status.channelOrder.length === 0) return ['No channels configured.'];
  const lines: string[] = [];
  for (const id of status.channelOrder) {
    const label = status.channelLabels[id] ?? id;
    for (const account of status.channelAccounts[id] ?? []) lines.push(`${label} ${account.accountId}: ${describe(account)}`);
  }
  return lines;
}

function describe(a: ChannelAccountSnapshot): string {
  const parts: string[] = [];
  if (!a.enabled) parts.push('disabled');
  else if (a.linked === false) parts.push('not linked');
  else if (!a.configured) parts.push('not configured');
  else parts.push(a.connected ? 'connected' : a.running ? 'not connected' : 'stopped');
  const extra = [a.mode, typeof a.botUsername === 'string' ? `@${a.botUsername}` : undefined, (a.self as { e164?: string } | undefined)?.e164]
    .filter(Boolean)
    .join(', ');
  if (extra) parts.push(`(${extra})`);
  if (a.dmPolicy) parts.push(`dm ${a.dmPolicy}`);
  if (a.lastMessageAt) parts.push(`last message ${formatAgo(a.lastMessageAt)}`);
  if (a.lastError) parts.push(`error: ${a.lastError}`);
  return parts.join(' ');
}
