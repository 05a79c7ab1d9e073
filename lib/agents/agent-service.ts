import { randomUUID } from 'node:crypto';
import type { TimerHandle } from '../clock.js';
import { GatewayError, invalidRequest } from '../errors.js';
import type { GatewayHost } from '../plugin.js';
import type {
  AgentAccepted,
  AgentAttachment,
  AgentFinal,
  AgentWaitResult,
  HealthSummary,
  SessionRow,
  StatusSummary,
} from '../protocol/generated/types.js';
import { THINKING_LEVELS, type ImagePart, type ThinkingLevel } from '../providers/model-provider.js';
import type { ModelResolver } from '../providers/model-catalog.js';
import {
  agentIdOfKey,
  canonicalSessionKey,
  channelSessionKey,
  checkSessionId,
  normalizeAgentId,
  parseAgentSessionKey,
  sessionKind,
} from '../sessions/session-keys.js';
import type { SessionEntry, SessionStore } from '../sessions/session-store.js';
import { AgentRunner, type AgentRun, type AgentRunRequest, type AgentRunResult, type AgentStartOptions } from './agent-runner.js';
import { AgentSettings } from './agent-settings.js';
import { builtinTools } from './builtin-tools.js';
import { ToolRegistry, type Tool, type ToolPolicy } from './tool-registry.js';
import { RunJournal } from './run-journal.js';
import { UsageLedger } from './usage-ledger.js';
import { MemoryStorage } from '../storage.js';
import { splitModelRef } from '../providers/model-ref.js';
import { DISABLED_HEARTBEAT } from '../heartbeat/disabled-heartbeat.js';

export interface AgentServiceOptions {
  models: ModelResolver;
  sessions: SessionStore;
  /** Agents and defaults; default: only the gateway's default agent. */
  settings?: AgentSettings;
  /** Tools next to the built-ins. */
  tools?: Tool[];
  /** Leave out `sessions_list`, `nodes` and `message`. */
  builtinTools?: boolean;
  toolPolicy?: ToolPolicy;
  maxToolRounds?: number;
  systemPrompt?: (agentId: string, settings: AgentSettings) => string;
  /** Where token usage is summed per day (`usage.*`); default: in memory only. */
  usage?: UsageLedger;
  /** Where runs in flight are recorded, so the start after a crash reports them interrupted; default: in memory only. */
  runJournal?: RunJournal;
  /** On close, how long running turns may take to finish before they are aborted (default 0: at once). */
  drainTimeoutMs?: number;
}

/** Where a run goes: the agent and the canonical session key. */
export interface RunTarget {
  agentId: string;
  sessionKey: string;
}

export interface TargetInput {
  agentId?: string;
  sessionKey?: string;
  sessionId?: string;
  to?: string;
  channel?: string;
  groupId?: string;
}

interface LedgerEntry {
  /** Unset for a run an earlier process started: only its (interrupted) result is known. */
  run?: AgentRun;
  result?: AgentRunResult;
  expiresAt?: number;
}

/** Channels a run may name: the messaging channels OpenClaw knows, plus WebChat and `last`. */
const KNOWN_CHANNELS = new Set(['whatsapp', 'telegram', 'discord', 'googlechat', 'slack', 'mattermost', 'signal', 'imessage', 'msteams', 'webchat', 'last']);
const LEDGER_TTL_MS = 5 * 60_000;
const LEDGER_MAX = 1000;

/**
 * The agent side of a gateway: runs (through AgentRunner), the idempotency ledger behind
 * `agent`/`chat.send` retries and `agent.wait`, session resolution, and the session numbers
 * health and status report. HTTP endpoints and hooks drive runs through the same object.
 */
export class AgentService {
  readonly gateway: GatewayHost;
  readonly runner: AgentRunner;
  readonly tools: ToolRegistry;
  readonly sessions: SessionStore;
  readonly settings: AgentSettings;
  readonly models: ModelResolver;
  readonly usage: UsageLedger;
  /** Usage records still being written: closing waits for them. */
  readonly #usageWrites = new Set<Promise<void>>();
  readonly #ledger = new Map<string, LedgerEntry>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #runJournal: RunJournal;
  readonly #drainTimeoutMs: number;

  constructor(gateway: GatewayHost, options: AgentServiceOptions) {
    this.gateway = gateway;
    this.sessions = options.sessions;
    this.models = options.models;
    this.usage = options.usage ?? new UsageLedger({ storage: new MemoryStorage() });
    this.#runJournal = options.runJournal ?? new RunJournal({ storage: new MemoryStorage() });
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 0;
    this.settings = options.settings ?? new AgentSettings({ defaultAgentId: gateway.defaultAgentId });
    const tools = [...(options.builtinTools === false ? [] : builtinTools({ gateway, sessions: options.sessions })), ...(options.tools ?? [])];
    this.tools = new ToolRegistry(tools, options.toolPolicy);
    this.runner = new AgentRunner({
      models: options.models,
      sessions: options.sessions,
      settings: this.settings,
      tools: this.tools,
      emit: (event) => gateway.broadcast('agent', event),
      maxToolRounds: options.maxToolRounds,
      systemPrompt: options.systemPrompt,
      clock: gateway.clock,
      logger: gateway.logger,
    });
  }

  /**
   * Reads every agent's session index (health and status report from memory) and applies session
   * maintenance to it, so stateless sessions a previous process left behind go too. Runs that
   * process left in flight (it crashed) are reported interrupted: transcript note, `agent.wait`.
   */
  async load(): Promise<void> {
    await Promise.all(this.settings.ids().map((id) => this.sessions.prune(id)));
    const now = this.gateway.clock.now();
    for (const result of await this.#runJournal.recover(this.sessions, now)) this.#ledger.set(result.runId, { result, expiresAt: now + LEDGER_TTL_MS });
  }

  /** Starts a run and records it for retries and `agent.wait`. */
  start(request: AgentRunRequest, options?: AgentStartOptions): AgentRun {
    // A session's model override (`sessions.patch`) applies when the request names no model.
    const override = request.model === undefined ? this.sessions.peek(request.agentId, request.sessionKey)?.modelOverride : undefined;
    const run = this.runner.start(override ? { ...request, model: override } : request, options);
    this.#prune();
    const entry: LedgerEntry = { run };
    this.#ledger.set(run.runId, entry);
    const journalFailed = (err: unknown) => this.gateway.logger.log('error', 'agent', `recording run ${run.runId} in flight failed: ${(err as Error).message}`);
    // Until the run ends, a crash leaves this record behind for the next start to report.
    this.#runJournal.started(run).catch(journalFailed);
    run.done
      .then((result) => {
        this.#runJournal.ended(run.runId).catch(journalFailed);
        entry.result = result;
        if (result.usage) {
          const write = this.usage
            .record(result.endedAt, `${result.provider}/${result.model}`, result.usage)
            .catch((err: unknown) => this.gateway.logger.log('error', 'agent', `recording token usage failed: ${(err as Error).message}`))
            .finally(() => this.#usageWrites.delete(write));
          this.#usageWrites.add(write);
        }
        entry.expiresAt = this.gateway.clock.now() + LEDGER_TTL_MS;
        for (const wake of this.#waiters.get(run.runId) ?? []) wake();
        this.#waiters.delete(run.runId);
      })
      .catch((err: unknown) => this.gateway.logger.log('error', 'agent', `recording the result of run ${run.runId} failed: ${(err as Error).message}`));
    return run;
  }

  /** A run started (or finished) within the last five minutes under this id. */
  lookup(runId: string): { run?: AgentRun; result?: AgentRunResult } | undefined {
    const entry = this.#ledger.get(runId);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.gateway.clock.now()) {
      this.#ledger.delete(runId);
      return undefined;
    }
    return entry;
  }

  /** `agent.wait`: the run's end, or `timeout` when it does not end (or start) within `timeoutMs`. */
  async wait(runId: string, timeoutMs: number): Promise<AgentWaitResult> {
    const done = this.lookup(runId)?.result;
    if (done) return waitResult(done);
    const clock = this.gateway.clock;
    let timer: TimerHandle | undefined;
    let wake: (() => void) | undefined;
    const finished = await new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      let set = this.#waiters.get(runId);
      if (!set) this.#waiters.set(runId, (set = new Set()));
      set.add(wake);
      timer = clock.setTimeout(() => resolve(false), timeoutMs);
    });
    if (timer !== undefined) clock.clearTimeout(timer);
    const set = this.#waiters.get(runId);
    set?.delete(wake!);
    if (set?.size === 0) this.#waiters.delete(runId);
    const result = finished ? this.lookup(runId)?.result : undefined;
    return result ? waitResult(result) : { runId, status: 'timeout' };
  }

  /**
   * Agent and canonical session key of a request: unknown agent ids,
   * an agent that does not own the session key, and unknown channels are INVALID_REQUEST.
   */
  async resolveTarget(input: TargetInput): Promise<RunTarget> {
    if (input.channel !== undefined && !KNOWN_CHANNELS.has(input.channel.toLowerCase())) {
      throw invalidRequest(`unknown channel: ${input.channel}`);
    }
    const named = input.agentId === undefined ? undefined : this.settings.require(normalizeAgentId(input.agentId)).id;
    if (input.sessionKey !== undefined) {
      const sessionKey = canonicalSessionKey(input.sessionKey, named ?? this.settings.defaultAgentId);
      const owner = parseAgentSessionKey(sessionKey)?.agentId;
      if (named && owner && owner !== named) {
        throw invalidRequest(`agent "${named}" does not match session key "${input.sessionKey}" (agent "${owner}")`);
      }
      const agentId = owner ?? named ?? this.settings.defaultAgentId;
      this.settings.require(agentId);
      return { agentId, sessionKey };
    }
    const agentId = named ?? this.settings.defaultAgentId;
    if (input.sessionId !== undefined) {
      const existing = await this.sessions.findBySessionId(agentId, input.sessionId);
      if (existing) return { agentId, sessionKey: existing };
      // A new session id gets its own key rather than replacing the main session's transcript.
      if (input.to === undefined && input.groupId === undefined) return { agentId, sessionKey: `agent:${agentId}:session:${checkSessionId(input.sessionId)}` };
    }
    const channel = input.channel === 'last' ? undefined : input.channel;
    return {
      agentId,
      sessionKey: channelSessionKey({ agentId, channel, to: input.to, groupId: input.groupId, dmScope: this.settings.dmScope }),
    };
  }

  /**
   * Starts a fresh session under `sessionKey` (`sessions.reset`, `/new`): a new session id and an
   * empty transcript; the old transcript stays on disk. Token counters start again.
   */
  resetSession(agentId: string, sessionKey: string): Promise<SessionEntry> {
    return this.sessions.ensure(agentId, sessionKey, { sessionId: randomUUID(), systemSent: false, abortedLastRun: false, totalTokens: 0, inputTokens: 0, outputTokens: 0 });
  }

  /**
   * Canonical key and agent of a chat-style `sessionKey` (`main`, `agent:<id>:…`, …). A bare key
   * belongs to agent `owner` when one is given (protocol 4 clients name the agent beside the key),
   * else to the default agent.
   */
  chatTarget(sessionKey: string, owner?: string): RunTarget {
    const key = canonicalSessionKey(sessionKey, owner ?? this.settings.defaultAgentId);
    const agentId = agentIdOfKey(key, this.settings.defaultAgentId);
    this.settings.require(agentId);
    return { agentId, sessionKey: key };
  }

  /** The `agent` result for a run: the final payload, or an error carrying `{runId, status:"error", summary}`. */
  finalResponse(result: AgentRunResult): AgentFinal {
    if (result.status === 'error') {
      const error = result.error ?? new GatewayError('UNAVAILABLE', 'agent run failed');
      throw new GatewayError(error.code, error.message, {
        details: error.details,
        retryable: error.retryable,
        retryAfterMs: error.retryAfterMs,
        payload: { runId: result.runId, status: 'error', summary: error.message },
      });
    }
    return {
      runId: result.runId,
      status: 'ok',
      summary: 'completed',
      result: {
        payloads: result.payloads,
        meta: {
          durationMs: Math.max(0, result.endedAt - result.startedAt),
          agentMeta: {
            sessionId: result.sessionId ?? '',
            provider: result.provider,
            model: result.model,
            ...(result.usage ? { usage: result.usage } : {}),
          },
          aborted: result.aborted,
          ...(result.stopReason ? { stopReason: result.stopReason } : {}),
          ...(result.pendingToolCalls ? { pendingToolCalls: result.pendingToolCalls } : {}),
        },
      },
    };
  }

  accepted(run: AgentRun): AgentAccepted {
    return { runId: run.runId, status: 'accepted', acceptedAt: run.acceptedAt };
  }

  /** Session rows of one agent (loaded indexes), newest first. */
  rows(agentId: string): SessionRow[] {
    const now = this.gateway.clock.now();
    const contextDefault = this.contextTokens(agentId);
    return this.sessions.entries(agentId).map(({ key, entry }) => sessionRow(agentId, key, entry, now, contextDefault));
  }

  /** The session row of one entry, as `sessions.list` shows it. */
  row(agentId: string, key: string, entry: SessionEntry): SessionRow {
    return sessionRow(agentId, key, entry, this.gateway.clock.now(), this.contextTokens(agentId));
  }

  /** Adds per-agent session counts and paths to health, and session defaults to status. */
  installSummaries(): void {
    const summary = (agentId: string) => {
      const rows = this.rows(agentId);
      return { path: this.sessions.indexPath(agentId), count: rows.length, recent: rows.slice(0, 5).map((r) => ({ ...r })) };
    };
    this.gateway.addHealthStage((base): HealthSummary => {
      const agents = this.settings.ids().map((agentId) => {
        const known = base.agents.find((a) => a.agentId === agentId);
        const name = this.settings.get(agentId)?.name;
        return {
          agentId,
          ...(name ? { name } : {}),
          isDefault: agentId === this.settings.defaultAgentId,
          heartbeat: known?.heartbeat ?? DISABLED_HEARTBEAT,
          sessions: summary(agentId),
        };
      });
      return { ...base, defaultAgentId: this.settings.defaultAgentId, agents, sessions: summary(this.settings.defaultAgentId) };
    });
    this.gateway.addStatusStage((base): StatusSummary => {
      const ids = this.settings.ids();
      const rows = ids.flatMap((id) => this.rows(id)).sort((a, b) => b.updatedAt - a.updatedAt);
      const defaultId = this.settings.defaultAgentId;
      return {
        ...base,
        sessions: {
          paths: ids.map((id) => this.sessions.indexPath(id)),
          count: rows.length,
          defaults: { ...splitModelRef(this.settings.modelRef(defaultId)), contextTokens: this.contextTokens(defaultId) },
          recent: rows.slice(0, 10).map((r) => ({ ...r })),
          byAgent: ids.map((id) => ({ agentId: id, ...summary(id) })),
        },
      };
    });
  }

  /**
   * Lets running turns finish (up to `drainTimeoutMs`), aborts the rest, waits until their
   * transcripts are consistent, and writes the session indexes.
   */
  async close(): Promise<void> {
    await this.runner.shutdown(undefined, this.#drainTimeoutMs);
    await Promise.all(this.#usageWrites);
    await this.#runJournal.flush().catch(() => undefined);
    await this.sessions.close();
  }

  /** The context window of the agent's model; null while no model is configured. */
  contextTokens(agentId: string): number | null {
    try {
      return this.runner.resolveModel(agentId).contextTokens;
    } catch {
      return null;
    }
  }

  #prune(): void {
    const now = this.gateway.clock.now();
    for (const [id, entry] of this.#ledger) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#ledger.delete(id);
    }
    if (this.#ledger.size < LEDGER_MAX) return;
    for (const [id, entry] of this.#ledger) {
      if (this.#ledger.size < LEDGER_MAX) break;
      if (entry.result) this.#ledger.delete(id);
    }
  }
}

function waitResult(result: AgentRunResult): AgentWaitResult {
  return {
    runId: result.runId,
    status: result.status,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    ...(result.error ? { error: result.error.message } : {}),
  };
}

/** The `SessionRow` of one index entry. */
export function sessionRow(agentId: string, key: string, entry: SessionEntry, now: number, contextDefault: number | null): SessionRow {
  const contextTokens = entry.contextTokens ?? contextDefault;
  const totalTokens = entry.totalTokens ?? 0;
  const flags: string[] = [];
  if (entry.thinkingLevel) flags.push(`thinking:${entry.thinkingLevel}`);
  if (entry.verboseLevel) flags.push(`verbose:${entry.verboseLevel}`);
  if (entry.systemSent) flags.push('system');
  if (entry.abortedLastRun) flags.push('aborted');
  flags.push(`id:${entry.sessionId}`);
  const row: SessionRow = {
    agentId,
    key,
    kind: sessionKind(key),
    sessionId: entry.sessionId,
    updatedAt: entry.updatedAt,
    age: Math.max(0, now - entry.updatedAt),
    totalTokens,
    remainingTokens: contextTokens === null ? 0 : Math.max(0, contextTokens - totalTokens),
    percentUsed: contextTokens ? Math.min(100, Math.round((totalTokens / contextTokens) * 100)) : 0,
    ...splitModelRef(entry.model),
    contextTokens,
    flags,
  };
  if (entry.label) row.label = entry.label;
  if (entry.thinkingLevel) row.thinkingLevel = entry.thinkingLevel;
  if (entry.verboseLevel) row.verboseLevel = entry.verboseLevel;
  if (entry.systemSent !== undefined) row.systemSent = entry.systemSent;
  if (entry.abortedLastRun !== undefined) row.abortedLastRun = entry.abortedLastRun;
  if (entry.inputTokens !== undefined) row.inputTokens = entry.inputTokens;
  if (entry.outputTokens !== undefined) row.outputTokens = entry.outputTokens;
  for (const key of ['reasoningLevel', 'elevatedLevel', 'responseUsage', 'sendPolicy', 'groupActivation', 'modelOverride', 'execHost', 'execSecurity', 'execAsk', 'execNode', 'spawnedBy'] as const) {
    if (entry[key] !== undefined) row[key] = entry[key];
  }
  return row;
}

/** `thinking` as sent (`high`, `HIGH`); anything else is INVALID_REQUEST naming the levels. */
export function parseThinking(value: string | undefined): ThinkingLevel | undefined {
  if (value === undefined || value === '') return undefined;
  const level = value.trim().toLowerCase() as ThinkingLevel;
  if (!THINKING_LEVELS.includes(level)) throw invalidRequest(`invalid thinking level "${value}" (expected ${THINKING_LEVELS.join(', ')})`);
  return level;
}

/** Image attachments as model input; other kinds are refused rather than silently dropped. */
export function imagesFromAttachments(attachments: readonly AgentAttachment[] | undefined): ImagePart[] {
  return (attachments ?? []).map((a, i) => {
    let data = a.content.trim();
    let mimeType = a.mimeType;
    const dataUrl = /^data:([^;,]+);base64,/i.exec(data);
    if (dataUrl) {
      mimeType ??= dataUrl[1];
      data = data.slice(dataUrl[0].length);
    }
    if (!mimeType && a.type === 'image') mimeType = 'image/png';
    const name = a.fileName ?? `#${i + 1}`;
    if (!mimeType?.toLowerCase().startsWith('image/')) throw invalidRequest(`unsupported attachment ${name}: only images can be attached`);
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(data)) throw invalidRequest(`attachment ${name} is not base64`);
    return { type: 'image', data: data.replace(/\s+/g, ''), mimeType: mimeType.toLowerCase() };
  });
}
