import { loadClientContext } from '../cli-context.js';
import { runLogs } from '../logs-command.js';
import { withRpcOptions, type CommandKit, type Flags } from './command-kit.js';

/** `openclaw logs [--follow] [--json] [--limit] [--max-bytes] [--interval] [--plain]`. */
export function registerLogsCommands(kit: CommandKit): void {
  const { cli, globals, rpcFlags } = kit;
  withRpcOptions(cli.command('logs', "Print the gateway's file log (through logs.tail); --follow keeps tailing"))
    .option('--limit <n>', 'Lines per read (1-5000)', { default: 200 })
    .option('--max-bytes <n>', 'Bytes per read (1-1000000)', { default: 250000 })
    .option('--follow', 'Keep polling for new lines')
    .option('--interval <ms>', 'Poll interval with --follow', { default: 1000 })
    .option('--plain', 'No colours')
    .action(async (flags: Flags) => {
      const rpc = rpcFlags(flags);
      const ctx = await loadClientContext(globals(flags), rpc.url);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        return await runLogs(
          ctx,
          {
            ...rpc,
            limit: Number(flags.limit),
            maxBytes: Number(flags.maxBytes),
            follow: Boolean(flags.follow),
            interval: Number(flags.interval),
            plain: Boolean(flags.plain),
            color: flags.color !== false,
          },
          { write: (text) => process.stdout.write(text), isTTY: process.stdout.isTTY, signal: controller.signal },
        );
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
