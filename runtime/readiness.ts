import type { ChannelAccountSnapshot, ChannelsStatusResult } from '../lib/protocol/generated/types.js';

/**
 * Where a channel account stands, as probes and metrics name it. Only `connecting` (its first
 * connect attempt has not ended) holds readiness back: the others are settled, for better or worse.
 */
export type ChannelAccountState = 'disabled' | 'not-configured' | 'not-linked' | 'stopped' | 'connecting' | 'connected' | 'disconnected';

export const CHANNEL_ACCOUNT_STATES: readonly ChannelAccountState[] = ['disabled', 'not-configured', 'not-linked', 'stopped', 'connecting', 'connected', 'disconnected'];

/** The `/readyz` body: no secrets, no paths; account ids only. */
export interface ReadinessReport {
  ready: boolean;
  checks: {
    /** A gateway runs and every runtime plugin is set up. */
    started: boolean;
    /** The config in force passed validation (a bad edit on disk is refused and leaves it in force). */
    config: boolean;
    /** Every channel account is past its first connect attempt. */
    channels: boolean;
    /** A graceful stop has begun. */
    draining: boolean;
  };
  channels: Array<{ channel: string; accountId: string; state: ChannelAccountState }>;
}

export function channelAccountState(snapshot: ChannelAccountSnapshot): ChannelAccountState {
  if (!snapshot.enabled) return 'disabled';
  if (!snapshot.configured) return 'not-configured';
  if (snapshot.linked === false) return 'not-linked';
  // Not running: its start failed, or another gateway holds the account's lease.
  if (!snapshot.running) return 'stopped';
  if (snapshot.connected) return 'connected';
  const attempted = snapshot.lastError !== null || (snapshot.reconnectAttempts ?? 0) > 0 || (snapshot.lastConnectedAt ?? null) !== null;
  return attempted ? 'disconnected' : 'connecting';
}

/** Readiness from what the runtime knows now: `started` and `draining`, and the channels' status when they run. */
export function readinessReport(input: { started: boolean; draining: boolean; channels?: ChannelsStatusResult }): ReadinessReport {
  const channels: ReadinessReport['channels'] = [];
  for (const [channel, accounts] of Object.entries(input.channels?.channelAccounts ?? {})) {
    for (const account of accounts) channels.push({ channel, accountId: account.accountId, state: channelAccountState(account) });
  }
  const checks = {
    started: input.started,
    config: input.started,
    channels: channels.every((account) => account.state !== 'connecting'),
    draining: input.draining,
  };
  return { ready: checks.started && checks.config && checks.channels && !checks.draining, checks, channels };
}
