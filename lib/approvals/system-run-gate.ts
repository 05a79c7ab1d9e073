import { GatewayError, invalidRequest } from '../errors.js';
import type { NodeInvokeInput } from '../nodes/node-registry.js';
import type { Clock } from '../clock.js';
import { evaluateExec, fallbackAllows, resolveExecPolicy, type ExecPolicy } from './exec-approval-policy.js';
import type { ExecApprovalQueue } from './exec-approval-queue.js';
import type { ExecApprovalsStore } from './exec-approvals-store.js';

export interface SystemRunGateOptions {
  store: ExecApprovalsStore;
  queue: ExecApprovalQueue;
  clock: Clock;
  /** Whose policy applies when `system.run` names no `agentId`. */
  defaultAgentId: string;
  /** How long operators have to answer; the queue's default when omitted. */
  approvalTimeoutMs?: number;
  /** Whether `params.agentId` names a configured agent; without it any id is taken as given. */
  agentExists?: (agentId: string) => boolean;
}

/**
 * Holds `system.run` on its way to a node until the approvals policy lets it through
 * (docs/protocol.md, Exec approvals): denied outright, run at once (allowlist hit or
 * `security: full`), or put to the operators, whose decision, or the `askFallback` when none
 * comes in time, settles it. Other commands pass untouched.
 */
export class SystemRunGate {
  readonly #options: SystemRunGateOptions;

  constructor(options: SystemRunGateOptions) {
    this.#options = options;
  }

  async check(input: NodeInvokeInput): Promise<NodeInvokeInput> {
    // A node's own approvals file is the admin methods' business (exec.approvals.node.get|set),
    // never a write-scoped node.invoke's or an agent tool's.
    if (input.command.startsWith('system.execApprovals.') && !input.internal) {
      throw invalidRequest(`${input.command} goes through exec.approvals.node.get|set (operator.admin), not node.invoke`);
    }
    if (input.command !== 'system.run') return input;
    // Only the gate says a run was approved: a caller's own `approved` never reaches the node.
    const { approved: _approved, approvalDecision: _decision, ...params } = isRecord(input.params) ? input.params : {};
    const cleaned = { ...input, params };
    const argv = Array.isArray(params.command) && params.command.length > 0 && params.command.every((a) => typeof a === 'string') ? (params.command as string[]) : undefined;
    if (!argv || !argv[0]) throw invalidRequest('system.run needs params.command: the argv array, executable first');
    const executable = argv[0];
    if (hasDotSegment(executable)) throw invalidRequest('system.run: the executable path may not contain . or .. segments');
    const overridden = isRecord(params.env) ? Object.keys(params.env).filter((k) => k === 'PATH' || /^(LD|DYLD)_/.test(k)) : [];
    // They would decide which binary a bare allowlisted name runs.
    if (overridden.length) throw invalidRequest(`system.run env may not set ${overridden.join(', ')}`);
    const agentId = nonEmpty(params.agentId) ?? this.#options.defaultAgentId;
    if (this.#options.agentExists && !this.#options.agentExists(agentId)) throw invalidRequest(`system.run: unknown agent "${agentId}"`);
    // What operators approve is what runs: the argv, never a caller's own description of it.
    const commandText = formatArgv(argv);
    const policy = resolveExecPolicy(await this.#options.store.file(), agentId);
    const verdict = evaluateExec(policy, executable);

    if (verdict.action === 'deny') throw refusal(verdict.reason);
    if (verdict.action === 'run') {
      if (verdict.entry) await this.#markUsed(agentId, verdict.entry.pattern, commandText);
      return cleaned;
    }

    const outcome = await this.#options.queue.ask({
      request: {
        command: commandText,
        commandArgv: argv,
        cwd: nonEmpty(params.cwd) ?? null,
        nodeId: input.nodeId,
        host: 'node',
        security: policy.security,
        ask: policy.ask,
        agentId,
        sessionKey: nonEmpty(params.sessionKey) ?? null,
      },
      timeoutMs: this.#options.approvalTimeoutMs,
    });
    if (outcome.decision === 'deny') throw refusal('SYSTEM_RUN_DENIED: user denied', outcome.id);
    if (outcome.decision === null) {
      if (!fallbackAllows(policy, executable)) throw refusal('SYSTEM_RUN_DENIED: approval timed out', outcome.id);
      return cleaned;
    }
    if (outcome.decision === 'allow-always') await this.#allowAlways(policy, executable, commandText);
    return { ...input, params: { ...params, approved: true, approvalDecision: outcome.decision } };
  }

  /** Adds the executable to the agent's allowlist, unless a pattern already covers it. */
  #allowAlways(policy: ExecPolicy, executable: string, commandText: string): Promise<void> {
    const now = this.#options.clock.now();
    return this.#options.store.update((file) => {
      const agents = (file.agents ??= {});
      const agent = (agents[policy.agentId] ??= {});
      const allowlist = (agent.allowlist ??= []);
      // Stored as a pattern: glob characters in the name are escaped so it matches itself only.
      const pattern = escapeGlob(executable);
      if (allowlist.some((e) => e.pattern === pattern)) return false;
      allowlist.push({ pattern, lastUsedAt: now, lastUsedCommand: commandText });
      return true;
    });
  }

  #markUsed(agentId: string, pattern: string, commandText: string): Promise<void> {
    const now = this.#options.clock.now();
    return this.#options.store.update((file) => {
      const entry = file.agents?.[agentId]?.allowlist?.find((e) => e.pattern === pattern);
      if (!entry) return false;
      entry.lastUsedAt = now;
      entry.lastUsedCommand = commandText;
      return true;
    });
  }
}

/** Refusals read as upstream's node host words them, so clients that match on them keep working. */
function refusal(message: string, approvalId?: string): GatewayError {
  return new GatewayError('UNAVAILABLE', message, { details: { code: message.slice(0, message.indexOf(':')), ...(approvalId ? { approvalId } : {}) } });
}

/** The argv as one shell-quoted line, for approvers to read. */
function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasDotSegment(path: string): boolean {
  return path.split(/[\\/]/).some((segment) => segment === '.' || segment === '..');
}

function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}
