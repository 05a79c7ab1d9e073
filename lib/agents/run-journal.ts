import { maskDigits } from '../channels/redact.js';
import { GatewayError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { AssistantMessage } from '../providers/model-provider.js';
import { RecordLog } from '../record-log.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { Storage } from '../storage.js';
import type { AgentRun, AgentRunResult } from './agent-run.js';

export interface RunJournalOptions {
  storage: Storage;
  /** Default `agents/runs-in-flight.jsonl`. */
  key?: string;
  logger?: Logger;
}

/** What is known of a run while it goes: enough to report it when a crash cuts it off. */
interface RunRecord {
  runId: string;
  agentId: string;
  sessionKey: string;
  acceptedAt: number;
  provider: string;
  model: string;
}

/** The error of a run a crash cut off: `agent.wait` reports it, the transcript says it. */
export const RUN_INTERRUPTED = 'run interrupted: the gateway stopped before it finished';

/**
 * The runs in flight, on disk from their start to their end, so the start after a crash can
 * report the ones it cut off: each gets an error note in its session's transcript (what
 * `chat.history` shows, the way failed runs are written) and an `error` result for `agent.wait`.
 */
export class RunJournal {
  readonly #log: RecordLog<RunRecord>;
  readonly #logger: Logger;

  constructor(options: RunJournalOptions) {
    this.#logger = options.logger ?? silentLogger;
    this.#log = new RecordLog({ storage: options.storage, key: options.key ?? 'agents/runs-in-flight.jsonl', logger: this.#logger });
  }

  started(run: AgentRun): Promise<void> {
    const record: RunRecord = {
      runId: run.runId,
      agentId: run.agentId,
      sessionKey: run.sessionKey,
      acceptedAt: run.acceptedAt,
      provider: run.model.provider.id,
      model: run.model.model,
    };
    return this.#log.write([[run.runId, record]]);
  }

  ended(runId: string): Promise<void> {
    return this.#log.write([[runId, undefined]]);
  }

  /** Resolves once every record written so far is on disk. */
  async flush(): Promise<void> {
    await this.#log.write([]);
  }

  /**
   * At start, before any run: ends each run an earlier process left recorded, with a note in its
   * transcript, and returns their results.
   */
  async recover(sessions: SessionStore, now: number): Promise<AgentRunResult[]> {
    const results: AgentRunResult[] = [];
    for (const record of [...(await this.#log.load()).values()]) {
      let sessionId: string | undefined;
      try {
        const entry = await sessions.get(record.agentId, record.sessionKey);
        if (entry) {
          sessionId = entry.sessionId;
          const note: AssistantMessage = { role: 'assistant', content: [], timestamp: now, stopReason: 'error', errorMessage: RUN_INTERRUPTED, provider: record.provider, model: record.model };
          await sessions.append(record.agentId, record.sessionKey, entry, note, record.runId);
          await sessions.update(record.agentId, record.sessionKey, { abortedLastRun: true });
        }
      } catch (err) {
        this.#logger.log('error', 'agent', `noting interrupted run ${maskDigits(record.runId)} in its transcript failed: ${(err as Error).message}`);
      }
      this.#logger.log('warn', 'agent', `run ${maskDigits(record.runId)} was interrupted by a gateway stop`, { sessionKey: maskDigits(record.sessionKey) });
      await this.ended(record.runId);
      results.push({
        runId: record.runId,
        agentId: record.agentId,
        sessionKey: record.sessionKey,
        status: 'error',
        startedAt: record.acceptedAt,
        endedAt: now,
        ...(sessionId ? { sessionId } : {}),
        provider: record.provider,
        model: record.model,
        payloads: [],
        aborted: false,
        error: new GatewayError('UNAVAILABLE', RUN_INTERRUPTED),
      });
    }
    return results;
  }
}
