import { extname, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyMessageContent } from '@whiskeysockets/baileys';
import { ChannelSendError } from '../lib/channel.js';
import { maskDigits } from '../lib/channels/redact.js';
import { invalidRequest } from '../lib/errors.js';

/** `+1 555 123 4567`, `15551234567` and JIDs all work as targets. */
export function toJid(to: string): string {
  const target = to.trim().replace(/^(?:whatsapp|wa):/i, '');
  if (target.includes('@')) return target;
  const digits = target.replace(/\D/g, '');
  if (digits.length < 6) throw invalidRequest(`invalid WhatsApp target ${JSON.stringify(maskDigits(target))}: use an E.164 number or a JID`);
  return `${digits}@s.whatsapp.net`;
}

export function mediaContent(url: string, caption: string, gif?: boolean): AnyMessageContent {
  const location = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (!/^https?:\/\//i.test(location) && !isAbsolute(location)) {
    throw new ChannelSendError(`media must be an http(s) URL or an absolute path: ${url}`, { deliveryUnknown: false });
  }
  const source = { url: location };
  const withCaption = caption ? { caption } : {};
  const ext = extname(location.split(/[?#]/)[0]!).toLowerCase();
  if (gif || ext === '.gif') return { video: source, gifPlayback: true, ...withCaption };
  if (['.jpg', '.jpeg', '.png', '.webp'].includes(ext)) return { image: source, ...withCaption };
  if (['.mp4', '.mov', '.webm', '.3gp'].includes(ext)) return { video: source, ...withCaption };
  if (['.ogg', '.opus', '.mp3', '.m4a', '.aac', '.wav'].includes(ext)) return { audio: source, mimetype: ext === '.mp3' ? 'audio/mpeg' : 'audio/ogg; codecs=opus' };
  return { document: source, mimetype: 'application/octet-stream', fileName: location.split('/').pop() ?? 'file', ...withCaption };
}
