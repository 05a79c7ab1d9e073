import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GatewayError } from '../../lib/errors.js';
import type { SendParams } from '../../lib/protocol/generated/types.js';
import { loadClientContext, type CliContext } from '../cli-context.js';
import type { RpcFlags } from '../rpc.js';
import { printJson, printLines, withRpcSession } from '../rpc-action.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

const USAGE = 'openclaw message send --target <dest> (--message <text> | --media <path|url>) [--channel <id>] [--account <id>]';

export interface MessageSendFlags extends RpcFlags {
  json: boolean;
  target?: string;
  message?: string;
  media?: string;
  channel?: string;
  account?: string;
  gifPlayback?: boolean;
  dryRun?: boolean;
}

/** `openclaw message send`: one message through the gateway's `send`. */
export function registerMessageCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  withRpcOptions(cli.command('message [action]', `Send a message through a channel of the running gateway: ${USAGE}`))
    .option('--target <dest>', 'Recipient: E.164 number or JID (WhatsApp), chat id or @username (Telegram)')
    .option('--message <text>', 'Text to send')
    .option('--media <path|url>', 'Attach an image, video, audio or document (local path or http(s) URL)')
    .option('--channel <id>', 'whatsapp (default) or telegram')
    .option('--account <id>', 'Channel account (default: the channel default account)')
    .option('--gif-playback', 'Send a video as a looping GIF (WhatsApp)')
    .option('--dry-run', 'Print what would be sent without contacting the gateway')
    .action(async (action: string | undefined, flags: Flags) => {
      if ((action ?? 'send') !== 'send') throw new GatewayError('INVALID_REQUEST', `unknown message action: ${action} (expected send)`);
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      return runMessageSend(ctx, {
        ...rpc,
        target: str(flags, 'target'),
        message: str(flags, 'message'),
        media: str(flags, 'media'),
        channel: str(flags, 'channel'),
        account: str(flags, 'account'),
        gifPlayback: Boolean(flags.gifPlayback),
        dryRun: Boolean(flags.dryRun),
      });
    });
}

export async function runMessageSend(ctx: CliContext, flags: MessageSendFlags): Promise<number> {
  const to = flags.target?.trim();
  if (!to) throw new GatewayError('INVALID_REQUEST', `--target is required; usage: ${USAGE}`);
  if (!flags.message && !flags.media) throw new GatewayError('INVALID_REQUEST', `--message or --media is required; usage: ${USAGE}`);
  const channel = (flags.channel ?? 'whatsapp').trim().toLowerCase();
  const params: SendParams = {
    to,
    message: flags.message ?? '',
    ...(flags.media ? { mediaUrl: await mediaLocation(flags.media) } : {}),
    channel,
    ...(flags.account ? { accountId: flags.account } : {}),
    ...(flags.gifPlayback ? { gifPlayback: true } : {}),
    // One key per invocation: the gateway delivers it once even if this request is retried.
    idempotencyKey: randomUUID(),
  };
  if (flags.dryRun) {
    if (flags.json) printJson({ action: 'send', channel, dryRun: true, handledBy: 'dry-run', payload: params });
    else printLines([`Would send via ${channel} to ${to}: ${JSON.stringify(params.message)}${params.mediaUrl ? ` with ${params.mediaUrl}` : ''}`]);
    return 0;
  }
  return withRpcSession(ctx, flags, async ({ client }) => {
    const result = await client.call('send', params, { timeoutMs: flags.timeout });
    if (flags.json) printJson({ action: 'send', channel, dryRun: false, handledBy: 'gateway', payload: result });
    else printLines([`Sent via ${result.channel} (message ${result.messageId}${result.chatId ? ` in chat ${result.chatId}` : ''}${result.toJid ? ` to ${result.toJid}` : ''}).`]);
    return 0;
  });
}

/** URLs pass through; a local path must exist here and is sent absolute (the gateway runs on this host). */
async function mediaLocation(media: string): Promise<string> {
  if (/^(?:https?|file):/i.test(media)) return media;
  const path = resolve(media);
  try {
    await access(path);
  } catch {
    throw new GatewayError('INVALID_REQUEST', `--media file not found: ${path}`);
  }
  return path;
}
