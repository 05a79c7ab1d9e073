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
    if (input.command !== 'system.run') return input;
    const params = isRecord(input.params) ? input.params : {};
    const argv = Array.isArray(params.command) && params.command.length > 0 && params.command.every((a) => typeof a === 'string') ? (params.command as string[]) : undefined;
    if (!argv || !argv[0]) throw invalidRequest('system.run needs params.command: the argv array, executable first');
    const executable = argv[0];
    const agentId = nonEmpty(params.agentId) ?? this.#options.defaultAgentId;
    const commandText = nonEmpty(params.rawCommand) ?? formatArgv(argv);
    const policy = resolveExecPolicy(await this.#options.store.file(), agentId);
    const verdict = evaluateExec(policy, executable);

    if (verdict.action === 'deny') throw refusal(verdict.reason);
    if (verdict.action === 'run') {
      if (verdict.entry) await this.#markUsed(agentId, verdict.entry.pattern, commandText);
      return input;
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
      return input;
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
      if (allowlist.some((e) => e.pattern === executable)) return false;
      allowlist.push({ pattern: executable, lastUsedAt: now, lastUsedCommand: commandText });
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
