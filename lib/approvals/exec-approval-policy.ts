import type { ExecApprovalsAllowlistEntry, ExecApprovalsFile } from '../protocol/generated/types.js';

export type ExecSecurity = 'deny' | 'allowlist' | 'full';
export type ExecAsk = 'off' | 'on-miss' | 'always';
export type ExecApprovalDecisionValue = 'allow-once' | 'allow-always' | 'deny';

export const EXEC_APPROVAL_DECISIONS: readonly ExecApprovalDecisionValue[] = ['allow-once', 'allow-always', 'deny'];

/** Upstream's defaults for a file that sets nothing: nothing runs until an operator opens it up. */
export const DEFAULT_EXEC_POLICY = { security: 'deny', ask: 'on-miss', askFallback: 'deny' } as const;

/** One agent's effective policy: its own settings over `defaults`, and its allowlist. */
export interface ExecPolicy {
  agentId: string;
  security: ExecSecurity;
  ask: ExecAsk;
  askFallback: ExecSecurity;
  allowlist: ExecApprovalsAllowlistEntry[];
}

/** What to do with a command before anyone is asked. */
export type ExecVerdict =
  | { action: 'run'; entry?: ExecApprovalsAllowlistEntry }
  | { action: 'ask'; entry?: ExecApprovalsAllowlistEntry }
  | { action: 'deny'; reason: string };

const SECURITIES: readonly string[] = ['deny', 'allowlist', 'full'];
const ASKS: readonly string[] = ['off', 'on-miss', 'always'];

export function resolveExecPolicy(file: ExecApprovalsFile, agentId: string): ExecPolicy {
  const defaults = file.defaults ?? {};
  const agent = file.agents?.[agentId] ?? {};
  // An unknown value (a typo in a hand-edited file) falls back to the default, never to something wider.
  const pick = <T extends string>(allowed: readonly string[], fallback: T, ...values: Array<string | undefined>): T =>
    (values.find((v) => v !== undefined && allowed.includes(v)) as T | undefined) ?? fallback;
  return {
    agentId,
    security: pick(SECURITIES, DEFAULT_EXEC_POLICY.security, agent.security, defaults.security),
    ask: pick(ASKS, DEFAULT_EXEC_POLICY.ask, agent.ask, defaults.ask),
    askFallback: pick(SECURITIES, DEFAULT_EXEC_POLICY.askFallback, agent.askFallback, defaults.askFallback),
    allowlist: agent.allowlist ?? [],
  };
}

/**
 * The first allowlist entry whose pattern matches `executable` (argv[0]). A pattern with a `/`
 * is a glob over an executable given as a path (`*` stays within one path segment, `**` crosses
 * them, `?` is one character); one without matches a bare name the node looks up in its PATH.
 * The two never cross: `git` does not allow `./git`, and `/usr/bin/*` does not allow `git`. A
 * backslash makes the next character literal.
 */
export function matchAllowlist(allowlist: readonly ExecApprovalsAllowlistEntry[], executable: string): ExecApprovalsAllowlistEntry | undefined {
  const isPath = executable.includes('/');
  return allowlist.find((entry) => {
    const pattern = entry.pattern.trim();
    return pattern !== '' && pattern.includes('/') === isPath && globRegExp(pattern).test(executable);
  });
}

/** The security check and ask mode applied to a command (docs/protocol.md, Exec approvals). */
export function evaluateExec(policy: ExecPolicy, executable: string): ExecVerdict {
  if (policy.security === 'deny') return { action: 'deny', reason: 'SYSTEM_RUN_DISABLED: security=deny' };
  const entry = policy.security === 'allowlist' ? matchAllowlist(policy.allowlist, executable) : undefined;
  const allowed = policy.security === 'full' || entry !== undefined;
  if (policy.ask === 'always') return { action: 'ask', ...(entry ? { entry } : {}) };
  if (allowed) return { action: 'run', ...(entry ? { entry } : {}) };
  if (policy.ask === 'off') return { action: 'deny', reason: 'SYSTEM_RUN_DENIED: allowlist miss' };
  return { action: 'ask' };
}

/** What an ask nobody answered in time comes to: `askFallback` decides, the allowlist still counts. */
export function fallbackAllows(policy: ExecPolicy, executable: string): boolean {
  if (policy.askFallback === 'full') return true;
  if (policy.askFallback === 'allowlist') return matchAllowlist(policy.allowlist, executable) !== undefined;
  return false;
}

function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      // An escaped character is itself: how an allow-always entry keeps a `*` in a name literal.
      source += pattern[++i]!.replace(/[.*?+^${}()|[\]\\]/g, '\\$&');
    } else if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
