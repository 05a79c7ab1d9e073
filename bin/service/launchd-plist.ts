import type { ServiceDefinition } from './service-definition.js';

export interface LaunchAgentOptions {
  label: string;
  /** `$STATE/logs/gateway.log` and `gateway.err.log` (prefix from OPENCLAW_LOG_PREFIX). */
  stdoutPath: string;
  stderrPath: string;
}

/** A LaunchAgent plist: RunAtLoad and KeepAlive, the program, its directory, logs and environment. */
export function renderLaunchAgentPlist(definition: ServiceDefinition, options: LaunchAgentOptions): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '  <dict>',
    '    <key>Label</key>',
    `    <string>${xml(options.label)}</string>`,
    '    <key>Comment</key>',
    `    <string>${xml(definition.description)}</string>`,
    '    <key>RunAtLoad</key>',
    '    <true/>',
    '    <key>KeepAlive</key>',
    '    <true/>',
    '    <key>ProgramArguments</key>',
    '    <array>',
    ...definition.programArguments.map((arg) => `      <string>${xml(arg)}</string>`),
    '    </array>',
  ];
  if (definition.workingDirectory) lines.push('    <key>WorkingDirectory</key>', `    <string>${xml(definition.workingDirectory)}</string>`);
  lines.push(
    '    <key>StandardOutPath</key>',
    `    <string>${xml(options.stdoutPath)}</string>`,
    '    <key>StandardErrorPath</key>',
    `    <string>${xml(options.stderrPath)}</string>`,
    '    <key>EnvironmentVariables</key>',
    '    <dict>',
  );
  for (const [key, value] of Object.entries(definition.environment)) {
    lines.push(`      <key>${xml(key)}</key>`, `      <string>${xml(value)}</string>`);
  }
  lines.push('    </dict>', '  </dict>', '</plist>', '');
  return lines.join('\n');
}

/** Reads back a plist written by {@link renderLaunchAgentPlist} (top-level keys of the main dict). */
export function parseLaunchAgentPlist(text: string): ServiceDefinition & { label?: string } {
  const definition: ServiceDefinition & { label?: string } = { description: '', programArguments: [], environment: {} };
  const tokens = [...text.matchAll(/<(key|string|array|\/array|dict|\/dict|true\/|false\/)>(?:([^<]*)<\/(?:key|string)>)?/g)];
  let depth = 0;
  let key: string | undefined;
  let inArray = false;
  let envKey: string | undefined;
  for (const [, tag, body = ''] of tokens) {
    const value = unxml(body);
    if (tag === 'dict') depth++;
    else if (tag === '/dict') depth--;
    else if (tag === 'array') inArray = true;
    else if (tag === '/array') inArray = false;
    else if (tag === 'key' && depth === 1) key = value;
    else if (tag === 'key' && depth === 2) envKey = value;
    else if (tag === 'string') {
      if (depth === 2 && key === 'EnvironmentVariables' && envKey !== undefined) definition.environment[envKey] = value;
      else if (inArray && key === 'ProgramArguments') definition.programArguments.push(value);
      else if (key === 'Label') definition.label = value;
      else if (key === 'Comment') definition.description = value;
      else if (key === 'WorkingDirectory') definition.workingDirectory = value;
    }
  }
  return definition;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function unxml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}
