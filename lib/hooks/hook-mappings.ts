import { GatewayError } from '../errors.js';

/** One `hooks.mappings` rule (config names as upstream spells them): which requests it takes and what it turns them into. */
export interface HookMapping {
  id?: string;
  /** Every condition given must hold; a mapping without any takes every path. */
  match?: { path?: string; source?: string };
  /** Default `agent`. */
  action?: 'wake' | 'agent';
  wakeMode?: 'now' | 'next-heartbeat';
  name?: string;
  /** The agent that runs (`agent` action); default the default agent. */
  agentId?: string;
  sessionKey?: string;
  /** `{{…}}` placeholders over the request (see renderHookTemplate). */
  messageTemplate?: string;
  textTemplate?: string;
  deliver?: boolean;
  allowUnsafeExternalContent?: boolean;
  channel?: string;
  to?: string;
  model?: string;
  thinking?: string;
  timeoutSeconds?: number;
  /** A module under `hooks.transformsDir` whose export (default `default`, then `transform`) rewrites the action. */
  transform?: { module: string; export?: string };
}

/**
 * The presets this gateway knows (`hooks.presets`). `gmail` takes the pushes a Gmail watcher
 * posts to `<hooks.path>/gmail` (`{messages:[{id, from, subject, snippet, body}]}`); it needs no
 * Google access itself; the watcher that would post them (`hooks.gmail`) is not part of this gateway.
 */
export const HOOK_PRESETS: Readonly<Record<string, readonly HookMapping[]>> = {
  gmail: [
    {
      id: 'gmail',
      match: { path: 'gmail' },
      action: 'agent',
      wakeMode: 'now',
      name: 'Gmail',
      sessionKey: 'hook:gmail:{{messages[0].id}}',
      messageTemplate: 'New email from {{messages[0].from}}\nSubject: {{messages[0].subject}}\n{{messages[0].snippet}}\n{{messages[0].body}}',
    },
  ],
};

const STRING_KEYS = ['id', 'name', 'agentId', 'sessionKey', 'messageTemplate', 'textTemplate', 'channel', 'to', 'model', 'thinking'] as const;

/**
 * `hooks.mappings` checked, then the mappings of `hooks.presets` after them, so a mapping of
 * the user's with the same match wins over a preset's. Throws CONFIG_INVALID naming the key.
 */
export function resolveHookMappings(hooks: { mappings?: ReadonlyArray<Record<string, unknown>>; presets?: readonly string[] } | undefined): HookMapping[] {
  const own = (hooks?.mappings ?? []).map((raw, i) => checkMapping(raw, `hooks.mappings[${i}]`));
  const presets = (hooks?.presets ?? []).flatMap((name, i) => {
    const preset = Object.hasOwn(HOOK_PRESETS, name) ? HOOK_PRESETS[name] : undefined;
    if (!preset) throw new GatewayError('CONFIG_INVALID', `hooks.presets[${i}]: unknown preset ${JSON.stringify(name)}; this gateway knows ${Object.keys(HOOK_PRESETS).join(', ')}`);
    return preset;
  });
  return [...own, ...presets];
}

/** The first mapping whose conditions hold for a request to `<hooks.path>/<path>` with this body. */
export function findHookMapping(mappings: readonly HookMapping[], path: string, payload: Record<string, unknown>): HookMapping | undefined {
  return mappings.find((m) => {
    const wantPath = m.match?.path === undefined ? undefined : trimSlashes(m.match.path);
    if (wantPath !== undefined && wantPath !== path) return false;
    if (m.match?.source !== undefined && payload.source !== m.match.source) return false;
    return true;
  });
}

export function trimSlashes(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

function checkMapping(raw: Record<string, unknown>, where: string): HookMapping {
  const bad = (key: string, what: string) => new GatewayError('CONFIG_INVALID', `${where}.${key} ${what}`);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('CONFIG_INVALID', `${where} must be an object`);
  for (const key of STRING_KEYS) if (raw[key] !== undefined && typeof raw[key] !== 'string') throw bad(key, 'must be a string');
  if (raw.action !== undefined && raw.action !== 'wake' && raw.action !== 'agent') throw bad('action', 'must be "wake" or "agent"');
  if (raw.wakeMode !== undefined && raw.wakeMode !== 'now' && raw.wakeMode !== 'next-heartbeat') throw bad('wakeMode', 'must be "now" or "next-heartbeat"');
  for (const key of ['deliver', 'allowUnsafeExternalContent']) if (raw[key] !== undefined && typeof raw[key] !== 'boolean') throw bad(key, 'must be true or false');
  const timeout = raw.timeoutSeconds;
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0)) throw bad('timeoutSeconds', 'must be a positive integer');
  const match = raw.match as Record<string, unknown> | undefined;
  if (match !== undefined) {
    if (!match || typeof match !== 'object' || Array.isArray(match)) throw bad('match', 'must be an object');
    for (const key of ['path', 'source']) if (match[key] !== undefined && typeof match[key] !== 'string') throw bad(`match.${key}`, 'must be a string');
  }
  const transform = raw.transform as Record<string, unknown> | undefined;
  if (transform !== undefined) {
    if (!transform || typeof transform !== 'object' || typeof transform.module !== 'string' || !transform.module.trim()) throw bad('transform.module', 'must name a module under hooks.transformsDir');
    if (transform.export !== undefined && (typeof transform.export !== 'string' || !transform.export)) throw bad('transform.export', 'must be a string');
  }
  return raw as HookMapping;
}
