import { GatewayError } from '../lib/errors.js';
import { createConsoleLogger } from '../lib/console-logger.js';
import { assertBindAllowed, ensureGatewayToken, resolveBindHosts, resolveGatewayAuth, resolvePort } from '../lib/config/index.js';
import { Gateway } from '../lib/gateway.js';
import { gatewayOptionsFromConfig } from '../lib/gateway-options-from-config.js';
import type { Logger } from '../lib/logger.js';
import { StdioTransport } from '../transports/stdio.js';
import { WebSocketTransport } from '../transports/ws.js';
import type { CliContext } from './cli-context.js';
import { freePort } from './free-port.js';

export interface GatewayRunFlags {
  port?: string;
  bind?: string;
  token?: string;
  password?: string;
  auth?: string;
  allowUnconfigured?: boolean;
  verbose?: boolean;
  force?: boolean;
  stdio?: boolean;
}

type BindMode = 'loopback' | 'lan' | 'tailnet' | 'auto' | 'custom';
const BIND_MODES: readonly BindMode[] = ['loopback', 'lan', 'tailnet', 'auto', 'custom'];

/**
 * `openclaw gateway`: validates config and flags, then serves until SIGINT/SIGTERM. Resolves with
 * the exit code; every refusal names what to change.
 */
export async function runGateway(ctx: CliContext, flags: GatewayRunFlags): Promise<number> {
  // In --stdio mode stdout carries the protocol, so every human line goes to stderr.
  const out = (line: string) => (flags.stdio ? process.stderr : process.stdout).write(line + '\n');
  const config = ctx.loaded.config;
  if (config.gateway?.mode !== 'local' && !flags.allowUnconfigured) {
    const why = ctx.loaded.exists ? `gateway.mode is ${JSON.stringify(config.gateway?.mode ?? null)}` : 'no config file';
    throw new GatewayError(
      'CONFIG_INVALID',
      `refusing to start: ${why} at ${ctx.configPath}; set gateway.mode to "local" or pass --allow-unconfigured`,
    );
  }
  if (flags.auth !== undefined && flags.auth !== 'token' && flags.auth !== 'password') {
    throw new GatewayError('CONFIG_INVALID', `--auth must be token or password, got ${flags.auth}`);
  }
  const bind = (flags.bind ?? config.gateway?.bind ?? 'loopback') as BindMode;
  if (!BIND_MODES.includes(bind)) throw new GatewayError('CONFIG_INVALID', `--bind must be one of ${BIND_MODES.join(', ')}`);

  let current = config;
  let generatedToken: string | undefined;
  const authFlags = { token: flags.token, password: flags.password, auth: flags.auth as 'token' | 'password' | undefined };
  if (!flags.token && !flags.password) {
    const ensured = await ensureGatewayToken({ path: ctx.configPath, config, env: ctx.env });
    if (ensured.generated) {
      generatedToken = ensured.token;
      current = ensured.config;
    }
  }
  const auth = resolveGatewayAuth({ config: current, env: ctx.env, flags: authFlags });
  assertBindAllowed(bind, auth);
  const hosts = resolveBindHosts(bind, current.gateway?.customBindHost);
  const { port } = resolvePort({ flag: flags.port, env: ctx.env, config: current });

  const logger: Logger = createConsoleLogger({
    level: flags.verbose ? 'debug' : 'info',
    write: (line) => out(line),
    secrets: () => [auth.token, auth.password],
  });

  if (flags.force && !flags.stdio) await freePort(port, (line) => logger.log('warn', 'gateway', line));

  const gateway = new Gateway(
    gatewayOptionsFromConfig({ config: current, auth, stateDir: ctx.stateDir, configPath: ctx.configPath, version: ctx.version, logger }),
  );
  await gateway.start();

  let stopTransport: () => Promise<void>;
  let done: Promise<void>;
  if (flags.stdio) {
    const transport = new StdioTransport({ sink: gateway, maxLineBytes: gateway.policy.maxPayload });
    done = new Promise<void>((resolve) => gateway.on('client-disconnected', () => resolve()));
    transport.start();
    stopTransport = async () => {
      await transport.close(1012, 'service restart');
    };
    logger.log('info', 'gateway', 'serving one client over stdio');
  } else {
    const transport = new WebSocketTransport({
      sink: gateway,
      port,
      host: hosts,
      maxPayload: gateway.policy.maxPayload,
      trustedProxies: current.gateway?.trustedProxies,
    });
    let bound: { port: number };
    try {
      bound = await transport.listen();
    } catch (err) {
      await gateway.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' || (err as GatewayError).code === 'ADDRESS_IN_USE') {
        throw new GatewayError('ADDRESS_IN_USE', `another gateway instance is already listening on ws://${hosts[0]}:${port}`, { cause: err });
      }
      throw err;
    }
    stopTransport = () => transport.close();
    done = new Promise<void>(() => {});
    const shown = hosts[0]!.includes(':') ? `[${hosts[0]}]` : hosts[0];
    logger.log('info', 'gateway', `listening on ws://${shown}:${bound.port} (profile ${ctx.profile}, config ${ctx.configPath})`);
  }
  if (generatedToken) {
    // Printed once, on purpose: it is the only way a new user learns the token.
    out(`Generated a gateway token and saved it to ${ctx.configPath} (gateway.auth.token):`);
    out(`  ${generatedToken}`);
  }

  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.log('info', 'gateway', `received ${signal}, shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await Promise.race([stopped, done]);
  await gateway.close({ reason: 'gateway stopping' });
  await stopTransport();
  return 0;
}
