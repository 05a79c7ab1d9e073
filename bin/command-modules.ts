import type { CommandKit } from './commands/command-kit.js';

type Register = (kit: CommandKit) => void;

/** One command family: the commands it registers and how to load the module that does. */
export interface CommandModule {
  commands: readonly string[];
  load: () => Promise<Register>;
}

/**
 * Every command family, in help order. Modules load on demand: a run of `openclaw health` loads
 * the gateway family and what `health` itself imports, never the runtime, the service managers or
 * the other families. A test checks that `commands` agrees with what each module registers.
 */
export const COMMAND_MODULES: readonly CommandModule[] = [
  { commands: ['gateway', 'health', 'status'], load: () => import('./commands/gateway.js').then((m) => m.registerGatewayCommands) },
  { commands: ['daemon'], load: () => import('./commands/service.js').then((m) => m.registerDaemonCommands) },
  { commands: ['logs'], load: () => import('./commands/logs.js').then((m) => m.registerLogsCommands) },
  { commands: ['doctor'], load: () => import('./commands/doctor.js').then((m) => m.registerDoctorCommands) },
  { commands: ['nodes'], load: () => import('./commands/nodes.js').then((m) => m.registerNodesCommands) },
  { commands: ['devices'], load: () => import('./commands/devices.js').then((m) => m.registerDevicesCommands) },
  { commands: ['agent'], load: () => import('./commands/agent.js').then((m) => m.registerAgentCommands) },
  { commands: ['message'], load: () => import('./commands/message.js').then((m) => m.registerMessageCommands) },
  { commands: ['channels'], load: () => import('./commands/channels.js').then((m) => m.registerChannelsCommands) },
  { commands: ['pairing'], load: () => import('./commands/pairing.js').then((m) => m.registerPairingCommands) },
  { commands: ['cron'], load: () => import('./commands/cron.js').then((m) => m.registerCronCommands) },
  { commands: ['approvals'], load: () => import('./commands/approvals.js').then((m) => m.registerApprovalsCommands) },
  { commands: ['system'], load: () => import('./commands/system.js').then((m) => m.registerSystemCommands) },
  { commands: ['setup', 'onboard'], load: () => import('./commands/setup.js').then((m) => m.registerSetupCommands) },
];

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_VALUE_OPTIONS = new Set(['--profile']);

/**
 * The command families a run needs: none for a bare `--version`, the one family that registers the
 * command named on the command line, else all of them (help lists every command, and an
 * unrecognised first word, such as the value of a command option typed before the command, is
 * left to cac to sort out with everything registered).
 */
export function modulesFor(args: readonly string[]): readonly CommandModule[] {
  let word: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) {
      i++;
      continue;
    }
    if (!arg.startsWith('-')) {
      word = arg;
      break;
    }
  }
  if (word === undefined) {
    const versionOnly = (args.includes('--version') || args.includes('-v')) && !args.includes('--help') && !args.includes('-h');
    return versionOnly ? [] : COMMAND_MODULES;
  }
  const family = COMMAND_MODULES.find((m) => m.commands.includes(word));
  return family ? [family] : COMMAND_MODULES;
}
