import { loadCliContext, loadDiagnosticContext } from '../cli-context.js';
import type { ServiceAction } from '../service/service-commands.js';
import type { CommandKit, Flags } from './command-kit.js';

export const SERVICE_ACTIONS = ['install', 'uninstall', 'start', 'stop', 'restart', 'status'] as const;

export function isServiceAction(action: string | undefined): action is (typeof SERVICE_ACTIONS)[number] {
  return (SERVICE_ACTIONS as readonly string[]).includes(action ?? '');
}

/**
 * `gateway install|uninstall|start|stop|restart|status` (and the `daemon` alias). Only install
 * needs a valid config; the others must work on a broken one, which is when they are needed most.
 */
export async function runServiceCommand(kit: CommandKit, action: (typeof SERVICE_ACTIONS)[number], flags: Flags): Promise<number> {
  const { str, globals, rpcFlags } = kit;
  // Loaded here, not at the top: `openclaw gateway health` shares this module's command family.
  const { defaultServiceHost } = await import('../service/service-host.js');
  if (action === 'status') {
    const { runGatewayStatus } = await import('../service/gateway-status.js');
    const ctx = await loadDiagnosticContext(globals(flags));
    return runGatewayStatus(ctx, { ...rpcFlags(flags), probe: flags.probe !== false, deep: Boolean(flags.deep) }, defaultServiceHost(ctx));
  }
  const ctx = action === 'install' ? await loadCliContext(globals(flags)) : await loadDiagnosticContext(globals(flags));
  const { runServiceAction } = await import('../service/service-commands.js');
  return runServiceAction(
    ctx,
    action as ServiceAction,
    {
      port: str(flags, 'port'),
      token: str(flags, 'token'),
      runtime: str(flags, 'runtime'),
      force: Boolean(flags.force),
      json: Boolean(flags.json),
      system: Boolean(flags.system),
    },
    defaultServiceHost(ctx),
  );
}

/** `openclaw daemon <install|uninstall|start|stop|restart|status>`: the same as `openclaw gateway <action>`. */
export function registerDaemonCommands(kit: CommandKit): void {
  kit.cli
    .command('daemon <action>', `Manage the gateway service: ${SERVICE_ACTIONS.join(' | ')}`)
    .option('--port <port>', 'install: port the service listens on')
    .option('--token <token>', 'install: token written into the service environment; status: token for the probe')
    .option('--password <password>', 'status: password for the probe')
    .option('--runtime <runtime>', 'install: node | bun')
    .option('--force', 'install: reinstall even when installed')
    .option('--system', 'Linux: a system unit instead of a user unit (needs root)')
    .option('--url <url>', 'status: probe this URL instead of the service port')
    .option('--timeout <ms>', 'status: probe timeout in ms', { default: 10000 })
    .option('--no-probe', 'status: skip the RPC probe')
    .option('--deep', 'status: also scan system-level services')
    .option('--json', 'Print JSON')
    .action(async (action: string, flags: Flags) => {
      if (!isServiceAction(action)) throw new Error(`unknown daemon action: ${action} (expected ${SERVICE_ACTIONS.join(', ')})`);
      return runServiceCommand(kit, action, flags);
    });
}
