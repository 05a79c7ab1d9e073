/**
 * Commands a node may be asked to run when the config adds nothing: one pattern per command
 * family. `family.*` covers every command under `family.`; anything else must match exactly.
 * `gateway.nodes.allowCommands` adds patterns, `gateway.nodes.denyCommands` removes them again.
 */
export const DEFAULT_NODE_COMMANDS: readonly string[] = [
  'canvas.*',
  'camera.*',
  'screen.*',
  'location.*',
  'system.run',
  'system.which',
  'system.notify',
  'system.execApprovals.get',
  'system.execApprovals.set',
  'browser.proxy',
];

export interface NodeCommandPolicyOptions {
  /** Patterns allowed beyond `DEFAULT_NODE_COMMANDS`; `*` allows everything. */
  allowCommands?: readonly string[];
  /** Patterns refused even when allowed; deny always wins. */
  denyCommands?: readonly string[];
}

/** Why `node.invoke` refused a command (`details.reason` of "node command not allowed"). */
export type NodeCommandRefusal = 'command not allowlisted' | 'command not declared by node';

/** The server-side command allowlist that every node's declared `commands` are intersected with. */
export class NodeCommandPolicy {
  readonly #allow: readonly string[];
  readonly #deny: readonly string[];

  constructor(options: NodeCommandPolicyOptions = {}) {
    this.#allow = [...DEFAULT_NODE_COMMANDS, ...(options.allowCommands ?? [])];
    this.#deny = options.denyCommands ?? [];
  }

  allows(command: string): boolean {
    if (this.#deny.some((p) => matches(p, command))) return false;
    return this.#allow.some((p) => matches(p, command));
  }

  /** The declared commands the server allows, de-duplicated and sorted. */
  filter(declared: readonly string[]): string[] {
    return [...new Set(declared)].filter((c) => this.allows(c)).sort();
  }

  /** Undefined when a node that declared `declared` may be sent `command`, else the reason. */
  refusal(declared: readonly string[], command: string): NodeCommandRefusal | undefined {
    if (!this.allows(command)) return 'command not allowlisted';
    if (!declared.includes(command)) return 'command not declared by node';
    return undefined;
  }
}

function matches(pattern: string, command: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return command.startsWith(pattern.slice(0, -1)) && command.length > pattern.length - 1;
  return pattern === command;
}
