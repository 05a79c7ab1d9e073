import { EXIT_CONFIG } from '../exit-codes.js';
import type { ServiceDefinition } from './service-definition.js';

export interface SystemdUnitOptions {
  /** A system unit (`/etc/systemd/system`) starts at boot for `user` instead of at login. */
  system?: boolean;
  user?: string;
}

/**
 * The unit file: Restart=always, RestartSec=5, but not after exit 78 (an invalid config: a restart
 * loop cannot fix it), KillMode=process, one Environment= per variable.
 */
export function renderSystemdUnit(definition: ServiceDefinition, options: SystemdUnitOptions = {}): string {
  const lines = [
    '[Unit]',
    `Description=${escapeSpecifiers(definition.description)}`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    `ExecStart=${definition.programArguments.map(quoteSystemdArg).join(' ')}`,
    'Restart=always',
    'RestartSec=5',
    `RestartPreventExitStatus=${EXIT_CONFIG}`,
    'KillMode=process',
  ];
  if (options.system && options.user) lines.push(`User=${options.user}`);
  if (definition.workingDirectory) lines.push(`WorkingDirectory=${quoteSystemdArg(definition.workingDirectory)}`);
  for (const [key, value] of Object.entries(definition.environment)) lines.push(`Environment=${quoteSystemdArg(`${key}=${value}`)}`);
  lines.push('', '[Install]', `WantedBy=${options.system ? 'multi-user.target' : 'default.target'}`, '');
  return lines.join('\n');
}

/** Reads back what {@link renderSystemdUnit} wrote (and hand edits in the same style). */
export function parseSystemdUnit(text: string): ServiceDefinition {
  const definition: ServiceDefinition = { description: '', programArguments: [], environment: {} };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (!line || line.startsWith('#') || line.startsWith(';') || line.startsWith('[') || eq === -1) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'Description') definition.description = value.replace(/%%/g, '%');
    else if (key === 'ExecStart') definition.programArguments = splitSystemdArgs(value);
    else if (key === 'WorkingDirectory') definition.workingDirectory = splitSystemdArgs(value)[0];
    else if (key === 'Environment') {
      for (const assignment of splitSystemdArgs(value)) {
        const at = assignment.indexOf('=');
        if (at > 0) definition.environment[assignment.slice(0, at)] = assignment.slice(at + 1);
      }
    }
  }
  return definition;
}

/** Double-quotes an argument when systemd would split or interpret it; `%` is doubled (specifiers). */
export function quoteSystemdArg(arg: string): string {
  const escaped = escapeSpecifiers(arg);
  if (escaped !== '' && !/[\s"'\\;$]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

function splitSystemdArgs(value: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < value.length) current += value[++i];
      else if (ch === '"') quoted = false;
      else current += ch;
    } else if (ch === '"') {
      quoted = true;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (started) args.push(current);
  return args.map((arg) => arg.replace(/%%/g, '%'));
}
