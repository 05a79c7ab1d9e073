#!/usr/bin/env node
import { cac } from 'cac';
import { GatewayError } from '../lib/errors.js';
import { stringOption } from './argv.js';
import { loadCliContext, type GlobalFlags } from './cli-context.js';
import { runGateway } from './gateway-runtime.js';
import { runCall, runHealth, runStatus } from './rpc-commands.js';
import { packageVersion } from './version.js';

const argv = process.argv.slice(2);
const cli = cac('openclaw');

cli.option('--dev', 'Use the dev profile (state ~/.openclaw-dev, port 19001)');
cli.option('--profile <name>', 'Use a named profile (isolated state, config and ports)');
cli.option('--no-color', 'Disable colors');

type Flags = Record<string, unknown> & GlobalFlags;

function globals(flags: Flags): GlobalFlags {
  return { dev: Boolean(flags.dev), profile: stringOption(argv, 'profile', flags.profile) };
}

function rpcFlags(flags: Flags) {
  return {
    url: stringOption(argv, 'url', flags.url),
    token: stringOption(argv, 'token', flags.token),
    password: stringOption(argv, 'password', flags.password),
    timeout: flags.timeout === undefined ? undefined : Number(flags.timeout),
    json: Boolean(flags.json),
  };
}

cli
  .command('gateway [action] [...args]', 'Run the gateway (default, alias "run"), or: call <method> | health | status')
  .option('--port <port>', 'Port (precedence: --port > OPENCLAW_GATEWAY_PORT > gateway.port > 18789)')
  .option('--bind <mode>', 'loopback | lan | tailnet | auto | custom')
  .option('--token <token>', 'Gateway token (run: overrides config; call: used to connect)')
  .option('--password <password>', 'Gateway password')
  .option('--auth <mode>', 'token | password')
  .option('--allow-unconfigured', 'Start even when gateway.mode is not "local"')
  .option('--verbose', 'Mirror debug logs (handshakes, requests, events) to the console')
  .option('--force', 'Stop whatever listens on the port first (needs lsof)')
  .option('--stdio', 'Serve one client over stdin/stdout (newline-delimited JSON)')
  .option('--url <url>', 'Gateway WebSocket URL for call/health/status')
  .option('--params <json>', 'call: method params as JSON', { default: '{}' })
  .option('--timeout <ms>', 'call/health/status: timeout in ms', { default: 10000 })
  .option('--expect-final', 'call: wait for the final response of two-phase methods')
  .option('--json', 'Print JSON')
  .action(async (action: string | undefined, args: string[], flags: Flags) => {
    const ctx = await loadCliContext(globals(flags));
    switch (action ?? 'run') {
      case 'run':
        return runGateway(ctx, {
          port: stringOption(argv, 'port', flags.port),
          bind: stringOption(argv, 'bind', flags.bind),
          token: stringOption(argv, 'token', flags.token),
          password: stringOption(argv, 'password', flags.password),
          auth: stringOption(argv, 'auth', flags.auth),
          allowUnconfigured: Boolean(flags.allowUnconfigured),
          verbose: Boolean(flags.verbose),
          force: Boolean(flags.force),
          stdio: Boolean(flags.stdio),
        });
      case 'call': {
        const method = args[0];
        if (!method) throw new GatewayError('INVALID_REQUEST', 'usage: openclaw gateway call <method> [--params <json>]');
        return runCall(ctx, method, stringOption(argv, 'params', flags.params) ?? '{}', {
          ...rpcFlags(flags),
          expectFinal: Boolean(flags.expectFinal),
        });
      }
      case 'health':
        return runHealth(ctx, rpcFlags(flags));
      case 'status':
        return runStatus(ctx, rpcFlags(flags));
      default:
        throw new GatewayError('INVALID_REQUEST', `unknown gateway action: ${action} (expected run, call, health or status)`);
    }
  });

cli
  .command('health', 'Health of the running gateway')
  .option('--url <url>', 'Gateway WebSocket URL')
  .option('--token <token>', 'Gateway token')
  .option('--password <password>', 'Gateway password')
  .option('--timeout <ms>', 'Timeout in ms', { default: 10000 })
  .option('--json', 'Print JSON')
  .action(async (flags: Flags) => runHealth(await loadCliContext(globals(flags)), rpcFlags(flags)));

cli
  .command('status', 'Status of the running gateway')
  .option('--url <url>', 'Gateway WebSocket URL')
  .option('--token <token>', 'Gateway token')
  .option('--password <password>', 'Gateway password')
  .option('--timeout <ms>', 'Timeout in ms', { default: 10000 })
  .option('--json', 'Print JSON')
  .action(async (flags: Flags) => runStatus(await loadCliContext(globals(flags)), rpcFlags(flags)));

cli.help();
cli.version(packageVersion());

async function main(): Promise<number> {
  cli.parse(process.argv, { run: false });
  if (!cli.matchedCommand) {
    if (cli.options.help || cli.options.version) return 0;
    if (cli.args.length) throw new GatewayError('INVALID_REQUEST', `unknown command: ${cli.args[0]} (see openclaw --help)`);
    cli.outputHelp();
    return 0;
  }
  const code = await cli.runMatchedCommand();
  return typeof code === 'number' ? code : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Long-running commands resolve only when they are done; nothing else should keep us alive.
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`openclaw: ${message}\n`);
    process.exit(1);
  },
);
