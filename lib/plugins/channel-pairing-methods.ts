import type { ChannelManager } from '../channels/channel-manager.js';
import type { ChannelPairingRequest } from '../channels/channel-pairing-store.js';
import { DEFAULT_ACCOUNT_ID } from '../channels/channel-accounts.js';
import { invalidRequest } from '../errors.js';
import type { GatewayHost } from '../plugin.js';
import type { ChannelsPairingAccount, ChannelsPairingRequest, ChannelsStatusResult } from '../protocol/generated/types.js';

/**
 * `channels.pairing.list|approve|dismiss`: the DM pairing codes of `openclaw pairing`, over RPC
 * in protocol 4's shapes, so a dashboard can let senders in. The code is the request id.
 */
export function registerChannelPairingMethods(gateway: GatewayHost, manager: ChannelManager): void {
  const known = (channel: string): string => {
    const id = channel.trim().toLowerCase();
    if (!manager.channelIds().includes(id)) throw invalidRequest(`unsupported channel: ${channel}`);
    return id;
  };

  gateway.registerMethod('channels.pairing.list', async ({ channel, accountId }) => {
    const ids = channel ? [known(channel)] : manager.channelIds();
    const status = manager.status();
    const accounts: ChannelsPairingAccount[] = ids.flatMap((id) =>
      (status.channelAccounts[id] ?? [])
        .filter((a) => !accountId || a.accountId === accountId)
        .map((a) => ({ channel: id, channelLabel: label(status, id), accountId: a.accountId, ...(a.name ? { accountLabel: a.name } : {}), notifySupported: false })),
    );
    const lists = await Promise.all(ids.map((id) => manager.pairing.list(id)));
    const requests = lists
      .flatMap(({ channel: id, pending }) => pending.map((r) => toWire(status, id, r, manager.pairing.ttlMs)))
      .filter((r) => !accountId || r.accountId === accountId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { accounts, requests, commandOwnerConfigured: false, limits: { pendingPerAccount: manager.pairing.maxPending, ttlMs: manager.pairing.ttlMs } };
  });

  gateway.registerMethod('channels.pairing.approve', async ({ channel, accountId, requestId, notify, bootstrapCommandOwner }) => {
    const id = known(channel);
    const { request } = await manager.pairing.approve(id, requestId, accountId);
    return {
      requestId: request.code,
      senderId: request.senderId,
      notification: notify ? 'unsupported' : 'not-requested',
      commandOwnerBootstrap: bootstrapCommandOwner ? 'unavailable' : 'not-requested',
    };
  });

  gateway.registerMethod('channels.pairing.dismiss', async ({ channel, accountId, requestId }) => {
    const request = await manager.pairing.dismiss(known(channel), requestId, accountId);
    return { requestId: request.code, senderId: request.senderId };
  });
}

function label(status: ChannelsStatusResult, id: string): string {
  return status.channelLabels[id] ?? id;
}

function toWire(status: ChannelsStatusResult, id: string, r: ChannelPairingRequest, ttlMs: number): ChannelsPairingRequest {
  // Codes from before accounts were recorded belong to the channel's default account.
  const accountId = r.accountId ?? status.channelDefaultAccountId[id] ?? DEFAULT_ACCOUNT_ID;
  const account = status.channelAccounts[id]?.find((a) => a.accountId === accountId);
  const created = new Date(r.ts).toISOString();
  return {
    requestId: r.code,
    channel: id,
    channelLabel: label(status, id),
    accountId,
    ...(account?.name ? { accountLabel: account.name } : {}),
    senderId: r.senderId,
    senderLabel: r.senderName || r.senderId,
    ...(r.chatId ? { metadata: { chatId: r.chatId } } : {}),
    createdAt: created,
    lastSeenAt: created,
    expiresAt: new Date(r.ts + ttlMs).toISOString(),
    notifySupported: false,
  };
}
