#!/usr/bin/env node
import { cac } from 'cac';
import { GatewayError } from '../lib/errors.js';
import { modulesFor } from './command-modules.js';
import { createCommandKit } from './commands/command-kit.js';
import { exitCodeFor } from './exit-codes.js';
import { packageVersion } from '../runtime/package-version.js';

const cli = cac('openclaw');
cli.option('--dev', 'Use the dev profile (state ~/.openclaw-dev, port 19001)');
cli.option('--profile <name>', 'Use a named profile (isolated state, config and ports)');
cli.option('--no-color', 'Disable colors');

cli.help();
cli.version(packageVersion());

async function main(): Promise<number> {
  // Only the command family named on the command line is loaded (see bin/command-modules.ts), so
  // `--version` and the client commands never load the gateway runtime.
  const kit = createCommandKit(cli, process.argv.slice(2));
  for (const register of await Promise.all(modulesFor(kit.argv).map((m) => m.load()))) register(kit);
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
    process.exit(exitCodeFor(err));
  },
);
