import { GatewayError } from '../../lib/errors.js';
import { loadCliContext, loadClientContext } from '../cli-context.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';
import { isServiceAction, runServiceCommand } from './service.js';

/**
 * The client side (the typed client and, through isomorphic-ws, all of ws as Node's ESM loader
 * translates it): `gateway run` shares this module with health/status/call but needs none of it.
 */
const rpcCommands = () => import('../rpc-commands.js');

/**
 * `openclaw gateway [run|call|health|discover]`, `gateway install|uninstall|start|stop|restart|status`,
 * `openclaw health`, `openclaw status`.
 */
export function registerGatewayCommands(kit: CommandKit): void {
  const { cli, str, globals, rpcFlags } = kit;
  cli
    .command(
      'gateway [action] [...args]',
      'Run the gateway (default, alias "run"), or: call <method> | health | discover | install | uninstall | start | stop | restart | status',
    )
    .option('--port <port>', 'Port (precedence: --port > OPENCLAW_GATEWAY_PORT > gateway.port > 18789)')
    .option('--bind <mode>', 'loopback | lan | tailnet | auto | custom')
    .option('--token <token>', 'Gateway token (run: overrides config; call: used to connect)')
    .option('--password <password>', 'Gateway password')
    .option('--auth <mode>', 'token | password')
    .option('--allow-unconfigured', 'Start even when gateway.mode is not "local"')
    .option('--verbose', 'Mirror debug logs (handshakes, requests, events) to the console')
    .option('--force', 'run: stop whatever listens on the port first (needs lsof); install: reinstall')
    .option('--stdio', 'Serve one client over stdin/stdout (newline-delimited JSON)')
    .option('--url <url>', 'Gateway WebSocket URL for call/health/status')
    .option('--params <json>', 'call: method params as JSON', { default: '{}' })
    .option('--timeout <ms>', 'call/health/status: timeout in ms; discover: how long to listen (default 2000)', { default: 10000 })
    .option('--expect-final', 'call: wait for the final response of two-phase methods')
    .option('--runtime <runtime>', 'install: node | bun')
    .option('--system', 'install/uninstall/start/stop/restart: a systemd system unit instead of a user unit')
    .option('--no-probe', 'status: skip the RPC probe')
    .option('--deep', 'status: also scan system-level services')
    .option('--json', 'Print JSON')
    .action(async (action: string | undefined, args: string[], flags: Flags) => {
      if (isServiceAction(action)) return runServiceCommand(kit, action, flags);
      switch (action ?? 'run') {
        case 'run': {
          // The runtime is the bulk of the package: only `run` loads it, not health/status/call.
          const { runGateway } = await import('../run-gateway.js');
          const code = await runGateway(await loadCliContext(globals(flags)), {
            port: str(flags, 'port'),
            bind: str(flags, 'bind'),
            token: str(flags, 'token'),
            password: str(flags, 'password'),
            auth: str(flags, 'auth'),
            allowUnconfigured: Boolean(flags.allowUnconfigured),
            verbose: Boolean(flags.verbose),
            force: Boolean(flags.force),
            stdio: Boolean(flags.stdio),
          });
          // The runtime is stopped and the file log written synchronously. Leaving the loop to
          // empty would make Node tear down the whole environment and heap first, which doubled
          // the time a supervisor waits after SIGTERM (bench/README.md, Exit after SIGTERM). Not
          // in --stdio mode, whose stdout may be an asynchronous pipe still flushing frames.
          if (!flags.stdio) process.exit(code);
          return code;
        }
        case 'call': {
          const method = args[0];
          if (!method) throw new GatewayError('INVALID_REQUEST', 'usage: openclaw gateway call <method> [--params <json>]');
          const rpc = rpcFlags(flags);
          return (await rpcCommands()).runCall(await loadClientContext(globals(flags), rpc.url), method, str(flags, 'params') ?? '{}', { ...rpc, expectFinal: Boolean(flags.expectFinal) });
        }
        case 'discover':
          return (await import('./discover.js')).runDiscover(kit, flags);
        case 'health': {
          const rpc = rpcFlags(flags);
          return (await rpcCommands()).runHealth(await loadClientContext(globals(flags), rpc.url), rpc);
        }
        default:
          throw new GatewayError(
            'INVALID_REQUEST',
            `unknown gateway action: ${action} (expected run, call, health, discover, install, uninstall, start, stop, restart or status)`,
          );
      }
    });

  withRpcOptions(cli.command('health', 'Health of the running gateway')).action(async (flags: Flags) => {
    const rpc = rpcFlags(flags);
    return (await rpcCommands()).runHealth(await loadClientContext(globals(flags), rpc.url), rpc);
  });

  withRpcOptions(cli.command('status', 'Status of the running gateway')).action(async (flags: Flags) => {
    const rpc = rpcFlags(flags);
    return (await rpcCommands()).runStatus(await loadClientContext(globals(flags), rpc.url), rpc);
  });
}
