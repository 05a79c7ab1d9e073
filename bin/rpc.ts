import { join } from 'node:path';
import { GatewayClient } from '../lib/client/index.js';
import { createNodeDeviceSigner, DeviceTokenStore, loadOrCreateDeviceIdentity } from '../lib/device-identity.js';
import { GatewayError } from '../lib/errors.js';
import type { HelloOk } from '../lib/protocol/generated/types.js';
import { resolveGatewayUrl, type CliContext } from './cli-context.js';
import { resolveSecretInput } from '../lib/config/secret-input.js';
import type { SecretInput } from '../lib/protocol/generated/config.js';

export interface RpcFlags {
  url?: string;
  token?: string;
  password?: string;
  timeout?: number;
}

export interface RpcSession {
  client: GatewayClient;
  hello: HelloOk;
  url: string;
  urlSource: string;
  connectLatencyMs: number;
  /** Closes the connection and waits for a device token it received to be saved. */
  close(): Promise<void>;
}

/**
 * Connects as the `cli` client with this host's device identity. Helper commands only ever talk to
 * a running gateway; they never start one.
 */
export async function openRpcSession(ctx: CliContext, flags: RpcFlags): Promise<RpcSession> {
  // cac hands `--timeout abc` over as NaN, which timers treat as ~1 ms: refuse it instead.
  if (flags.timeout !== undefined && !(Number.isFinite(flags.timeout) && flags.timeout > 0)) {
    throw new GatewayError('INVALID_REQUEST', '--timeout must be a positive number of milliseconds');
  }
  const { url, source } = resolveGatewayUrl(ctx, flags.url);
  const gw = ctx.loaded.config.gateway;
  const remote = gw?.mode === 'remote';
  const secret = (value: SecretInput | undefined, path: string) => resolveSecretInput(value, ctx.env, path);
  const token =
    flags.token ?? ctx.env.OPENCLAW_GATEWAY_TOKEN ?? (remote ? secret(gw?.remote?.token, 'gateway.remote.token') : undefined) ?? secret(gw?.auth?.token, 'gateway.auth.token');
  const password =
    flags.password ??
    ctx.env.OPENCLAW_GATEWAY_PASSWORD ??
    (remote ? secret(gw?.remote?.password, 'gateway.remote.password') : undefined) ??
    secret(gw?.auth?.password, 'gateway.auth.password');

  const identityDir = join(ctx.stateDir, 'identity');
  const identity = await loadOrCreateDeviceIdentity(join(identityDir, 'device.json'));
  const tokens = await DeviceTokenStore.load(join(identityDir, 'device-auth.json'), identity.deviceId);
  const timeoutMs = flags.timeout ?? 10_000;
  const client = new GatewayClient({
    url,
    token,
    password,
    deviceToken: token || password ? undefined : tokens.get('operator')?.token,
    signer: createNodeDeviceSigner(identity),
    client: { id: 'cli', mode: 'cli', version: ctx.version, platform: process.platform },
    reconnect: false,
    requestTimeoutMs: timeoutMs,
    connectTimeoutMs: timeoutMs,
  });
  // This command is connected already; only later ones miss the new token. Closing waits for the
  // save, so a command never exits (or its state dir goes away) mid-write.
  let saving: Promise<unknown> = Promise.resolve();
  client.on('device-token', ({ deviceToken, role, scopes }) => {
    saving = saving
      .then(() => tokens.set(role, { token: deviceToken, scopes }))
      .catch((err: unknown) => process.stderr.write(`openclaw: could not save the device token: ${(err as Error).message}\n`));
  });
  const started = Date.now();
  try {
    const hello = await client.connect();
    return {
      client,
      hello,
      url,
      urlSource: source,
      connectLatencyMs: Date.now() - started,
      close: async () => {
        await client.close();
        await saving;
      },
    };
  } catch (err) {
    client.close();
    // "connection closed during handshake (1006)" alone does not say where we tried to connect
    // (a profile or env var may have picked the URL) nor why (connection refused, DNS, ...).
    if (err instanceof GatewayError && (err.code === 'CONNECTION_CLOSED' || err.code === 'TIMEOUT')) {
      const cause = err.cause as { message?: unknown; error?: { message?: unknown } } | undefined;
      const why = cause?.error?.message ?? cause?.message;
      const detail = typeof why === 'string' && why ? `: ${why}` : '';
      throw new GatewayError(err.code, `gateway at ${url} (${source}): ${err.message}${detail}`, { cause: err });
    }
    throw err;
  }
}
