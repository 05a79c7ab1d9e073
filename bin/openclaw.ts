#!/usr/bin/env node
import { cac } from 'cac';
import { GatewayError } from '../lib/errors.js';
import { registerAgentCommands } from './commands/agent.js';
import { registerApprovalsCommands } from './commands/approvals.js';
import { registerChannelsCommands } from './commands/channels.js';
import { createCommandKit } from './commands/command-kit.js';
import { registerCronCommands } from './commands/cron.js';
import { registerDevicesCommands } from './commands/devices.js';
import { registerDoctorCommands } from './commands/doctor.js';
import { registerGatewayCommands } from './commands/gateway.js';
import { registerLogsCommands } from './commands/logs.js';
import { registerMessageCommands } from './commands/message.js';
import { registerNodesCommands } from './commands/nodes.js';
import { registerPairingCommands } from './commands/pairing.js';
import { registerDaemonCommands } from './commands/service.js';
import { registerSetupCommands } from './commands/setup.js';
import { registerSystemCommands } from './commands/system.js';
import { exitCodeFor } from './exit-codes.js';
import { packageVersion } from '../runtime/package-version.js';

const cli = cac('openclaw');
cli.option('--dev', 'Use the dev profile (state ~/.openclaw-dev, port 19001)');
cli.option('--profile <name>', 'Use a named profile (isolated state, config and ports)');
cli.option('--no-color', 'Disable colors');

// One line per command family; each module lives in bin/commands/.
const kit = createCommandKit(cli, process.argv.slice(2));
registerGatewayCommands(kit);
registerDaemonCommands(kit);
registerLogsCommands(kit);
registerDoctorCommands(kit);
registerNodesCommands(kit);
registerDevicesCommands(kit);
registerAgentCommands(kit);
registerMessageCommands(kit);
registerChannelsCommands(kit);
registerPairingCommands(kit);
registerCronCommands(kit);
registerApprovalsCommands(kit);
registerSystemCommands(kit);
registerSetupCommands(kit);

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
    process.exit(exitCodeFor(err));
  },
);
