import type { ServiceDefinition } from './service-definition.js';

/**
 * `gateway.cmd`, the script the scheduled task runs: `@echo off`, a `rem` description, the working
 * directory, one `set K=V` per variable, then the command. CRLF, as cmd.exe expects.
 */
export function renderGatewayCmd(definition: ServiceDefinition): string {
  const lines = ['@echo off', `rem ${definition.description}`];
  if (definition.workingDirectory) lines.push(`cd /d ${quoteCmdArg(definition.workingDirectory)}`);
  for (const [key, value] of Object.entries(definition.environment)) lines.push(`set ${key}=${escapeCmdValue(value)}`);
  lines.push(definition.programArguments.map(quoteCmdArg).join(' '));
  return lines.join('\r\n') + '\r\n';
}

/** Reads back a script written by {@link renderGatewayCmd}. */
export function parseGatewayCmd(text: string): ServiceDefinition {
  const definition: ServiceDefinition = { description: '', programArguments: [], environment: {} };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || /^@echo off$/i.test(line)) continue;
    const rem = /^rem\s?(.*)$/i.exec(line);
    const cd = /^cd \/d (.+)$/i.exec(line);
    const set = /^set ([^=]+)=(.*)$/i.exec(line);
    if (rem) definition.description = rem[1]!;
    else if (cd) definition.workingDirectory = splitCmdArgs(cd[1]!)[0];
    else if (set) definition.environment[set[1]!] = unescapeCmdValue(set[2]!);
    else definition.programArguments = splitCmdArgs(line);
  }
  return definition;
}

/** `schtasks` arguments that register the script to run at logon, limited rights, replacing any earlier task. */
export function schtasksCreateArgs(taskName: string, scriptPath: string, user?: string): string[] {
  const args = ['/Create', '/F', '/SC', 'ONLOGON', '/RL', 'LIMITED', '/TN', taskName, '/TR', quoteCmdArg(scriptPath)];
  if (user) args.push('/RU', user, '/NP', '/IT');
  return args;
}

export function quoteCmdArg(arg: string): string {
  if (arg !== '' && !/[\s"&|<>^]/.test(arg)) return arg;
  return `"${arg.replace(/"/g, '""')}"`;
}

// In a batch file `%` starts a variable and `^ & | < >` are operators, even in `set` values.
function escapeCmdValue(value: string): string {
  return value.replace(/%/g, '%%').replace(/([\^&|<>])/g, '^$1');
}

function unescapeCmdValue(value: string): string {
  return value.replace(/\^([\^&|<>])/g, '$1').replace(/%%/g, '%');
}

function splitCmdArgs(line: string): string[] {
  const args: string[] = [];
  for (const match of line.matchAll(/"((?:[^"]|"")*)"|(\S+)/g)) args.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : match[2]!);
  return args;
}
