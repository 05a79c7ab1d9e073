import { isPlainObject } from './merge-patch.js';

/** `gateway.reload.mode`: what a change of the config file does to a running gateway. */
export type ReloadMode = 'off' | 'restart' | 'hot' | 'hybrid';

export const DEFAULT_RELOAD_MODE: ReloadMode = 'hybrid';
export const DEFAULT_RELOAD_DEBOUNCE_MS = 300;

/** `none`: read where used, nothing to do; `hot`: applied live; `restart`: needs an in-process restart. */
export type ReloadKind = 'none' | 'hot' | 'restart';

export interface ReloadRule {
  prefix: string;
  kind: ReloadKind;
  /** What a hot change runs, e.g. `restart-cron`; channel rules use `restart-channel:<id>`. */
  action?: string;
}

const HEAD_RULES: readonly ReloadRule[] = [
  { prefix: 'gateway.remote', kind: 'none' },
  { prefix: 'gateway.reload', kind: 'none' },
  { prefix: 'hooks.gmail', kind: 'hot', action: 'restart-gmail-watcher' },
  { prefix: 'hooks', kind: 'hot', action: 'reload-hooks' },
  { prefix: 'agents.defaults.heartbeat', kind: 'hot', action: 'restart-heartbeat' },
  { prefix: 'agent.heartbeat', kind: 'hot', action: 'restart-heartbeat' },
  { prefix: 'cron', kind: 'hot', action: 'restart-cron' },
  { prefix: 'browser', kind: 'hot', action: 'restart-browser-control' },
];

// Read where they are used (the next agent run, the next log line, the next command).
const NONE_PREFIXES = [
  'identity',
  'wizard',
  'logging',
  'models',
  'agents',
  'tools',
  'bindings',
  'audio',
  'agent',
  'routing',
  'messages',
  'session',
  'talk',
  'skills',
  'ui',
  'commands',
];

const TAIL_RULES: readonly ReloadRule[] = [
  ...NONE_PREFIXES.map((prefix): ReloadRule => ({ prefix, kind: 'none' })),
  { prefix: 'plugins', kind: 'restart' },
  { prefix: 'gateway', kind: 'restart' },
  { prefix: 'discovery', kind: 'restart' },
  { prefix: 'canvasHost', kind: 'restart' },
];

/**
 * The first rule matching a changed path (upstream order): a few `gateway.*`
 * no-ops, then hot rules, then one hot rule per channel (`channels.<id>` restarts that channel),
 * then no-ops and restart rules. Undefined means no rule matched: that needs a restart.
 */
export function matchReloadRule(path: string): ReloadRule | undefined {
  const matches = (prefix: string) => path === prefix || path.startsWith(`${prefix}.`);
  const head = HEAD_RULES.find((rule) => matches(rule.prefix));
  if (head) return head;
  const channel = /^channels\.([^.]+)/.exec(path);
  if (channel) return { prefix: `channels.${channel[1]}`, kind: 'hot', action: `restart-channel:${channel[1]}` };
  return TAIL_RULES.find((rule) => matches(rule.prefix));
}

export interface ReloadPlan {
  changedPaths: string[];
  /** Some change needs an in-process restart. */
  restartGateway: boolean;
  restartReasons: string[];
  hotReasons: string[];
  noopPaths: string[];
  /** Hot actions to run, in first-seen order (`reload-hooks`, `restart-channel:telegram`, ...). */
  actions: string[];
}

export function buildReloadPlan(changedPaths: readonly string[]): ReloadPlan {
  const plan: ReloadPlan = { changedPaths: [...changedPaths], restartGateway: false, restartReasons: [], hotReasons: [], noopPaths: [], actions: [] };
  for (const path of changedPaths) {
    const rule = matchReloadRule(path);
    if (!rule || rule.kind === 'restart') {
      plan.restartGateway = true;
      plan.restartReasons.push(path);
    } else if (rule.kind === 'hot') {
      plan.hotReasons.push(path);
      if (rule.action && !plan.actions.includes(rule.action)) plan.actions.push(rule.action);
    } else {
      plan.noopPaths.push(path);
    }
  }
  return plan;
}

/**
 * Dotted paths of every leaf that differs between two configs. Objects are compared key by key
 * (a key present on one side only counts as changed at its leaves); arrays and scalars as values.
 */
export function diffConfigPaths(previous: unknown, next: unknown, prefix = ''): string[] {
  if (isPlainObject(previous) || isPlainObject(next)) {
    if ((previous !== undefined && !isPlainObject(previous)) || (next !== undefined && !isPlainObject(next))) {
      return [prefix || '(root)'];
    }
    const a = (previous ?? {}) as Record<string, unknown>;
    const b = (next ?? {}) as Record<string, unknown>;
    const paths: string[] = [];
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      paths.push(...diffConfigPaths(a[key], b[key], prefix ? `${prefix}.${key}` : key));
    }
    return paths;
  }
  return sameValue(previous, next) ? [] : [prefix || '(root)'];
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b);
  return Object.is(a, b);
}
