import type { OpenClawConfig } from '../protocol/generated/config.js';

/** The plugin id under which this gateway keeps settings upstream has no key for. */
export const OWN_PLUGIN_ID = 'clawgate';

type PolicyConfig = NonNullable<NonNullable<NonNullable<NonNullable<OpenClawConfig['plugins']>['entries']>['clawgate']>['config']>['policy'];

/**
 * Connection limits: `plugins.entries.clawgate.config.policy`, else the old `gateway.policy`
 * (a key upstream refuses; `openclaw doctor --fix` moves it).
 */
export function policyConfig(config: OpenClawConfig): PolicyConfig | undefined {
  return config.plugins?.entries?.[OWN_PLUGIN_ID]?.config?.policy ?? config.gateway?.policy;
}

/** Group-chat mention patterns: `messages.groupChat.mentionPatterns` (upstream's place for them). */
export function globalMentionPatterns(config: OpenClawConfig): string[] | undefined {
  return config.messages?.groupChat?.mentionPatterns;
}

/**
 * How long a graceful stop or in-process restart lets running agent turns (and the channel
 * messages they answer) finish before aborting them: `plugins.entries.clawgate.config.drainTimeoutMs`.
 */
export function drainTimeoutMs(config: OpenClawConfig): number {
  return config.plugins?.entries?.[OWN_PLUGIN_ID]?.config?.drainTimeoutMs ?? 10_000;
}

/** Who must present the gateway secret to scrape `/metrics` (see the `metrics.auth` config key). */
export type MetricsAuth = 'local' | 'token' | 'none';

/** The Prometheus endpoint: `plugins.entries.clawgate.config.metrics`; on, free for local peers, by default. */
export function metricsSettings(config: OpenClawConfig): { enabled: boolean; auth: MetricsAuth } {
  const metrics = config.plugins?.entries?.[OWN_PLUGIN_ID]?.config?.metrics;
  return { enabled: metrics?.enabled ?? true, auth: metrics?.auth ?? 'local' };
}

/** `plugins.entries.clawgate.config.cluster` as configured (docs/cluster.md). */
export type ClusterConfig = NonNullable<NonNullable<NonNullable<NonNullable<OpenClawConfig['plugins']>['entries']>['clawgate']>['config']>['cluster'];

/** The cluster section: undefined for a single process (the default, which never loads pg or nats). */
export function clusterConfig(config: OpenClawConfig): ClusterConfig | undefined {
  return config.plugins?.entries?.[OWN_PLUGIN_ID]?.config?.cluster;
}
