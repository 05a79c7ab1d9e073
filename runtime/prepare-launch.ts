import {
  assertBindAllowed,
  ensureGatewayToken,
  resolveBindHosts,
  resolveGatewayAuth,
  resolvePort,
  type OpenClawConfig,
  type ResolvedGatewayAuth,
} from '../lib/config/index.js';
import { GatewayError } from '../lib/errors.js';
import type { RuntimeEnvironment, RuntimeOverrides } from './runtime-environment.js';

type BindMode = 'loopback' | 'lan' | 'tailnet' | 'auto' | 'custom';
const BIND_MODES: readonly BindMode[] = ['loopback', 'lan', 'tailnet', 'auto', 'custom'];

/** Everything derived from one config before anything listens: checked as a whole, or not used. */
export interface Prepared {
  config: OpenClawConfig;
  auth: ResolvedGatewayAuth;
  bind: BindMode;
  hosts: string[];
  port: number;
  /** The port as configured, before a restart pins `--port 0` to the one it got. */
  requestedPort: number;
  /** A token this start generated and saved, when the config had none. */
  generatedToken?: string;
}

export interface PrepareLaunchInput {
  config: OpenClawConfig;
  environment: RuntimeEnvironment;
  overrides: RuntimeOverrides;
  /** The port the running gateway got; a restart keeps it when the config asks for port 0. */
  boundPort: number;
  /** Whether a gateway runs already (a restart): its refusal names the config, not a missing file. */
  running: boolean;
  out: (line: string) => void;
}

/**
 * Everything that can be checked about one config before touching a socket, with the CLI's
 * overrides applied; throws CONFIG_INVALID naming the fix. Generates and saves a token when the
 * config has none (and says so through `out`).
 */
export async function prepareLaunch(input: PrepareLaunchInput): Promise<Prepared> {
  const { environment: ctx, overrides: flags, out } = input;
  let config = input.config;
  if (config.gateway?.mode !== 'local' && !flags.allowUnconfigured) {
    const why = ctx.loaded.exists || input.running ? `gateway.mode is ${JSON.stringify(config.gateway?.mode ?? null)}` : 'no config file';
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

  // Validate everything that can be checked up front before touching the config file, so a
  // refused start never leaves a generated token behind that nobody was shown.
  const hosts = resolveBindHosts(bind, config.gateway?.customBindHost);
  let { port } = resolvePort({ flag: flags.port, env: ctx.env, config });
  const requestedPort = port;
  // `--port 0` picks a port once; a restart keeps it so clients find the gateway again.
  if (port === 0 && input.boundPort !== 0) port = input.boundPort;
  const authFlags = { token: flags.token, password: flags.password, auth: flags.auth as 'token' | 'password' | undefined };
  let auth = resolveGatewayAuth({ config, env: ctx.env, flags: authFlags });
  let generatedToken: string | undefined;
  if (auth.mode === 'token' && auth.token === undefined) {
    const ensured = await ensureGatewayToken({ path: ctx.configPath, config, env: ctx.env });
    if (ensured.generated) {
      generatedToken = ensured.token;
      config = ensured.config;
      auth = resolveGatewayAuth({ config, env: ctx.env, flags: authFlags });
      // Printed once, on purpose, and right away: it is the only way a new user learns the
      // token, and it is already saved even if the start fails below.
      out(`Generated a gateway token and saved it to ${ctx.configPath} (gateway.auth.token):`);
      out(`  ${ensured.token}`);
    }
  }
  assertBindAllowed(bind, auth);
  // Fail closed: a gateway whose auth mode has no secret would refuse every client.
  if (auth.mode === 'password' && auth.password === undefined) {
    throw new GatewayError(
      'CONFIG_INVALID',
      'refusing to start: auth mode is "password" but no password is set; pass --password, set gateway.auth.password or OPENCLAW_GATEWAY_PASSWORD, or use --auth token',
    );
  }
  if (auth.mode === 'token' && auth.token === undefined) {
    throw new GatewayError(
      'CONFIG_INVALID',
      'refusing to start: auth mode is "token" but no token is set; pass --token, set gateway.auth.token or OPENCLAW_GATEWAY_TOKEN',
    );
  }
  return { config, auth, bind, hosts, port, requestedPort, generatedToken };
}
