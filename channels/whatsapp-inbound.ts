import { isJidGroup, jidNormalizedUser, type WAMessage } from '@whiskeysockets/baileys';
import type { InboundMessage } from '../lib/channel.js';
import { senderOf } from './whatsapp-sender.js';

/**
 * A received WhatsApp message in the router's shape, or undefined for what is not a message to
 * answer (our own echoes, status broadcasts, protocol messages without content). `self` holds
 * the account's own JIDs, for mentions.
 */
export function inboundMessage(msg: WAMessage, ctx: { accountId: string; self: Set<string>; now: number }): InboundMessage | undefined {
  const remote = msg.key.remoteJid;
  if (!msg.message || msg.key.fromMe || !remote || remote === 'status@broadcast') return undefined;
  const group = Boolean(isJidGroup(remote));
  const { sender, lid } = senderOf(msg.key, group);
  if (!sender) return undefined;
  const content = msg.message;
  const context =
    content.extendedTextMessage?.contextInfo ??
    content.imageMessage?.contextInfo ??
    content.videoMessage?.contextInfo ??
    content.documentMessage?.contextInfo ??
    undefined;
  let text = content.conversation ?? content.extendedTextMessage?.text ?? content.imageMessage?.caption ?? content.videoMessage?.caption ?? content.documentMessage?.caption ?? '';
  const kind = content.imageMessage ? 'image' : content.videoMessage ? 'video' : content.audioMessage ? 'audio' : content.documentMessage ? 'document' : content.stickerMessage ? 'sticker' : undefined;
  if (kind) text = text ? `${text}\n<media:${kind}>` : `<media:${kind}>`;
  const self = ctx.self;
  const mentioned =
    (context?.mentionedJid ?? []).some((jid) => self.has(jidNormalizedUser(jid))) ||
    (context?.participant ? self.has(jidNormalizedUser(context.participant)) : false);
  if (group) {
    for (const jid of self) text = text.replaceAll(`@${jid.split('@')[0]}`, '').trim();
  }
  const digits = sender.endsWith('@s.whatsapp.net') ? sender.split('@')[0] : undefined;
  return {
    channel: 'whatsapp',
    accountId: ctx.accountId,
    chatId: remote,
    chatType: group ? 'group' : 'direct',
    senderId: sender,
    ...(digits || lid ? { senderAliases: [...(digits ? [`+${digits}`] : []), ...(lid ? [lid] : [])] } : {}),
    ...(msg.pushName ? { senderName: msg.pushName } : {}),
    messageId: msg.key.id ?? `${ctx.now}`,
    text,
    mentioned,
    ts: Number(msg.messageTimestamp ?? 0) * 1000 || ctx.now,
  };
}
