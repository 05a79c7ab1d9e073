import { arch, platform, release } from 'node:os';
import { GatewayError } from '../lib/errors.js';
import type { CliContext } from './cli-context.js';
import { resolveGatewayUrl } from './cli-context.js';
import { openRpcSession, type RpcFlags, type RpcSession } from './rpc.js';

export interface PrintFlags extends RpcFlags {
  json?: boolean;
}

const print = (value: unknown) => process.stdout.write(JSON.stringify(value, null, 2) + '\n');

/** `openclaw gateway call <method> --params '{...}'`: prints the response payload. */
export async function runCall(ctx: CliContext, method: string, paramsText: string, flags: PrintFlags & { expectFinal?: boolean }): Promise<number> {
  let params: unknown;
  try {
    params = JSON.parse(paramsText);
  } catch (err) {
    throw new GatewayError('INVALID_REQUEST', `--params is not valid JSON: ${(err as Error).message}`);
  }
  const session = await openRpcSession(ctx, flags);
  try {
    const payload = await session.client.call(method, params, { timeoutMs: flags.timeout, expectFinal: flags.expectFinal });
    print(payload);
    return 0;
  } finally {
    await session.close();
  }
}

/** `openclaw health`: the HealthSummary; non-zero when the gateway is unreachable or unhealthy. */
export async function runHealth(ctx: CliContext, flags: PrintFlags): Promise<number> {
  const session = await openRpcSession(ctx, flags);
  try {
    const health = await session.client.call('health', { probe: true }, { timeoutMs: flags.timeout });
    if (flags.json) {
      print(health);
    } else {
      process.stdout.write(`Gateway ${health.ok ? 'OK' : 'NOT OK'} at ${session.url} (v${session.hello.server.version}, up ${formatDuration(session.hello.snapshot.uptimeMs)})\n`);
      if (health.channelOrder.length === 0) process.stdout.write('Channels: none configured\n');
      for (const id of health.channelOrder) {
        const ch = health.channels[id];
        process.stdout.write(`  ${health.channelLabels[id] ?? id}: ${ch?.configured ? (ch.linked === false ? 'not linked' : 'configured') : 'not configured'}\n`);
      }
    }
    return health.ok ? 0 : 1;
  } finally {
    await session.close();
  }
}

/** `openclaw status`: the gateway's status summary plus how this CLI reached it. */
export async function runStatus(ctx: CliContext, flags: PrintFlags): Promise<number> {
  let session: RpcSession;
  try {
    session = await openRpcSession(ctx, flags);
  } catch (err) {
    if (!flags.json) throw err;
    // Scripts get the same JSON shape either way; reachability is a field, not an exception.
    const { url, source } = resolveGatewayUrl(ctx, flags.url);
    const error = err instanceof Error ? err.message : String(err);
    print({
      os: { platform: platform(), release: release(), arch: arch() },
      gateway: { mode: ctx.loaded.config.gateway?.mode ?? null, url, urlSource: source, reachable: false, connectLatencyMs: null, self: null, error },
    });
    return 1;
  }
  try {
    const status = await session.client.call('status', {}, { timeoutMs: flags.timeout });
    const gatewayInfo = {
      mode: ctx.loaded.config.gateway?.mode ?? null,
      url: session.url,
      urlSource: session.urlSource,
      reachable: true,
      connectLatencyMs: session.connectLatencyMs,
      self: { host: session.hello.server.host ?? null, version: session.hello.server.version },
      error: null,
    };
    if (flags.json) {
      print({ ...status, os: { platform: platform(), release: release(), arch: arch() }, gateway: gatewayInfo });
    } else {
      const lines = [
        `Gateway: ${session.url} (reachable, ${session.connectLatencyMs} ms, v${session.hello.server.version})`,
        `Config: ${ctx.configPath}`,
        `Channels: ${status.channelSummary.length ? status.channelSummary.join('; ') : 'none configured'}`,
        `Sessions: ${status.sessions.count}`,
        `Queued system events: ${status.queuedSystemEvents.length}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  } finally {
    await session.close();
  }
}

function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
