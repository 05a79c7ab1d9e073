import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelDefinition } from '../lib/channel.js';
import { channelCredentialsDir } from '../lib/channels/channel-accounts.js';

/** A channel kind without its factory: what the gateway knows before the channel library loads. */
export type ChannelKind = Omit<ChannelDefinition, 'create'>;

export const whatsappKind: ChannelKind = {
  id: 'whatsapp',
  label: 'WhatsApp',
  loginCreatesAccount: true,
  autoEnable: ({ stateDir, accountId }) => (stateDir ? exists(join(channelCredentialsDir(stateDir, 'whatsapp', accountId), 'creds.json')) : false),
};

export const telegramKind: ChannelKind = {
  id: 'telegram',
  label: 'Telegram',
  autoEnable: ({ env }) => Boolean(env.TELEGRAM_BOT_TOKEN?.trim()),
};

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
