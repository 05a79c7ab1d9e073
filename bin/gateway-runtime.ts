import { createConsoleLogger } from '../lib/console-logger.js';
import { assertBindAllowed, ensureGatewayToken, resolveBindHosts, resolveGatewayAuth, resolvePort } from '../lib/config/index.js';
import { GatewayError } from '../lib/errors.js';
import { Gateway, type ShutdownOptions } from '../lib/gateway.js';
import { gatewayOptionsFromConfig } from '../lib/gateway-options-from-config.js';
import type { Logger } from '../lib/logger.js';
import { CloseCode } from '../lib/protocol/index.js';
import type { ConnectionSink } from '../lib/transport.js';
import { HttpRouter } from '../transports/http.js';
import { StdioTransport } from '../transports/stdio.js';
import { WebSocketTransport } from '../transports/ws.js';
import type { CliContext } from './cli-context.js';
import { freePort } from './free-port.js';
import type { RuntimeContext, RuntimePlugin } from './runtime-plugin.js';
import { runtimePlugins } from './runtime-plugins.js';

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

export interface GatewayRuntimeOptions {
  ctx: CliContext;
  flags: GatewayRunFlags;
  /** Human output (stdout, or stderr in --stdio mode). */
  out: (line: string) => void;
  plugins?: RuntimePlugin[];
}

type BindMode = 'loopback' | 'lan' | 'tailnet' | 'auto' | 'custom';
const BIND_MODES: readonly BindMode[] = ['loopback', 'lan', 'tailnet', 'auto', 'custom'];

/**
 * Everything `openclaw gateway` runs: the Gateway, its WebSocket + HTTP listener (or stdio), and
 * the runtime plugins around them, assembled from the validated config and flags.
 */
export class GatewayRuntime {
  readonly #options: GatewayRuntimeOptions;
  readonly #plugins: RuntimePlugin[];
  #gateway?: Gateway;
  #transport?: WebSocketTransport;
  #stdio?: StdioTransport;
  #logger?: Logger;
  #generatedToken?: string;
  #port = 0;

  constructor(options: GatewayRuntimeOptions) {
    this.#options = options;
    this.#plugins = options.plugins ?? runtimePlugins();
  }

  get gateway(): Gateway | undefined {
    return this.#gateway;
  }

  get port(): number {
    return this.#port;
  }

  get generatedToken(): string | undefined {
    return this.#generatedToken;
  }

  async start(): Promise<void> {
    const { ctx, flags, out } = this.#options;
    let config = ctx.loaded.config;
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

    if (!flags.token && !flags.password) {
      const ensured = await ensureGatewayToken({ path: ctx.configPath, config, env: ctx.env });
      if (ensured.generated) {
        this.#generatedToken = ensured.token;
        config = ensured.config;
      }
    }
    const auth = resolveGatewayAuth({
      config,
      env: ctx.env,
      flags: { token: flags.token, password: flags.password, auth: flags.auth as 'token' | 'password' | undefined },
    });
    assertBindAllowed(bind, auth);
    const hosts = resolveBindHosts(bind, config.gateway?.customBindHost);
    const { port } = resolvePort({ flag: flags.port, env: ctx.env, config });

    const logger = createConsoleLogger({
      level: flags.verbose ? 'debug' : 'info',
      write: (line) => out(line),
      secrets: () => [auth.token, auth.password],
    });
    this.#logger = logger;

    // Connections that arrive before the Gateway exists are told to come back (1013).
    const sink: ConnectionSink = {
      accept: (conn) => (this.#gateway ? this.#gateway.accept(conn) : conn.close(1013, 'gateway starting')),
    };
    const http = new HttpRouter({ logger });
    if (flags.stdio) {
      this.#stdio = new StdioTransport({ sink, maxLineBytes: config.gateway?.policy?.maxPayload });
    } else {
      if (flags.force) await freePort(port, (line) => logger.log('warn', 'gateway', line));
      this.#transport = new WebSocketTransport({
        sink,
        port,
        host: hosts,
        maxPayload: config.gateway?.policy?.maxPayload,
        trustedProxies: config.gateway?.trustedProxies,
        requestHandler: http.handle,
      });
      this.#port = (await this.#transport.listen()).port;
    }

    const runtime: RuntimeContext = {
      config,
      env: ctx.env,
      stateDir: ctx.stateDir,
      configPath: ctx.configPath,
      workspaceDir: ctx.workspaceDir,
      version: ctx.version,
      port: this.#port,
      hosts,
      logger,
    };
    try {
      let options = gatewayOptionsFromConfig({ config, auth, stateDir: ctx.stateDir, configPath: ctx.configPath, version: ctx.version, logger });
      for (const plugin of this.#plugins) options = { ...options, ...(await plugin.gatewayOptions?.(runtime)) };
      const gateway = new Gateway(options);
      for (const plugin of this.#plugins) await plugin.setup?.({ ...runtime, gateway, http });
      await gateway.start();
      this.#gateway = gateway;
    } catch (err) {
      await this.#transport?.close();
      throw err;
    }
    this.#stdio?.start();

    if (flags.stdio) {
      logger.log('info', 'gateway', 'serving one client over stdio');
    } else {
      const shown = hosts[0]!.includes(':') ? `[${hosts[0]}]` : hosts[0];
      logger.log('info', 'gateway', `listening on ws://${shown}:${this.#port} (profile ${ctx.profile}, config ${ctx.configPath})`);
    }
    if (this.#generatedToken) {
      // Printed once, on purpose: it is the only way a new user learns the token.
      out(`Generated a gateway token and saved it to ${ctx.configPath} (gateway.auth.token):`);
      out(`  ${this.#generatedToken}`);
    }
  }

  /** Resolves when the one stdio client is gone; never in WebSocket mode. */
  stdioClosed(): Promise<unknown> {
    return this.#stdio ? this.#stdio.closed : new Promise(() => {});
  }

  async stop(options: ShutdownOptions = { reason: 'gateway stopping' }): Promise<void> {
    await this.#gateway?.close(options);
    await this.#stdio?.close(CloseCode.ServiceRestart, 'service restart');
    await this.#transport?.close();
    for (const plugin of [...this.#plugins].reverse()) {
      try {
        await plugin.stop?.();
      } catch (err) {
        this.#logger?.log('error', 'gateway', `stopping ${plugin.name} failed: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * `openclaw gateway`: serves until SIGINT/SIGTERM (or, with --stdio, until the client leaves) and
 * resolves with the exit code; every refusal names what to change.
 */
export async function runGateway(ctx: CliContext, flags: GatewayRunFlags): Promise<number> {
  // In --stdio mode stdout carries the protocol, so every human line goes to stderr.
  const out = (line: string) => (flags.stdio ? process.stderr : process.stdout).write(line + '\n');
  const runtime = new GatewayRuntime({ ctx, flags, out });
  await runtime.start();
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const why = await Promise.race([signalled, runtime.stdioClosed().then(() => 'stdio closed')]);
  out(`shutting down (${why})`);
  await runtime.stop({ reason: 'gateway stopping' });
  return 0;
}
