import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';
import { silentLogger, type Logger } from '../logger.js';
import type { ModelMessage } from '../providers/model-provider.js';
import type { AppendStorage } from '../storage.js';
import { checkSessionId } from './session-keys.js';

/** One row of `agents/<agentId>/sessions/sessions.json`, keyed there by session key. */
export interface SessionEntry {
  sessionId: string;
  /** Transcript file name, next to the index. */
  sessionFile: string;
  createdAt: number;
  updatedAt: number;
  label?: string;
  displayName?: string;
  thinkingLevel?: string;
  verboseLevel?: string;
  systemSent?: boolean;
  abortedLastRun?: boolean;
  inputTokens?: number;
  outputTokens?: number;
  /** Tokens of the last request's context (prompt + reply): what the next turn starts from. */
  totalTokens?: number;
  /** `provider/model` of the last run. */
  model?: string;
  modelProvider?: string;
  contextTokens?: number;
  channel?: string;
  lastTo?: string;
  lastAccountId?: string;
  spawnedBy?: string;
  /** Per-session overrides set by `sessions.patch`. */
  reasoningLevel?: string;
  responseUsage?: string;
  elevatedLevel?: string;
  execHost?: string;
  execSecurity?: string;
  execAsk?: string;
  execNode?: string;
  /** `provider/model` used instead of the agent's model. */
  modelOverride?: string;
  sendPolicy?: 'allow' | 'deny';
  groupActivation?: 'mention' | 'always';
}

/** First line of every transcript. */
export interface TranscriptHeader {
  type: 'session';
  version: 1;
  id: string;
  timestamp: string;
  agentId: string;
  sessionKey: string;
}

/** Every later line: one message, appended and fsync'd before anyone is told about it. */
export interface TranscriptLine {
  type: 'message';
  id: string;
  timestamp: string;
  runId?: string;
  message: ModelMessage;
}

export interface SessionStoreOptions {
  /** Under the state dir; transcripts need `append`. */
  storage: AppendStorage;
  now?: () => number;
  logger?: Logger;
}

type Index = Record<string, SessionEntry>;

/**
 * Per-agent sessions: an index (`sessions.json`, written atomically) and one append-only JSONL
 * transcript per session. Index changes run one at a time per agent and take effect in memory
 * only after the file is written.
 */
export class SessionStore {
  readonly #storage: AppendStorage;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #indexes = new Map<string, Index>();
  readonly #loading = new Map<string, Promise<Index>>();
  readonly #queue = new KeyedQueue();
  /** Transcripts whose last byte we know is a newline (or that we created). */
  readonly #tailChecked = new Set<string>();

  constructor(options: SessionStoreOptions) {
    this.#storage = options.storage;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
  }

  indexKey(agentId: string): string {
    return `agents/${agentId}/sessions/sessions.json`;
  }

  transcriptKey(agentId: string, sessionFile: string): string {
    return `agents/${agentId}/sessions/${sessionFile}`;
  }

  /** Where the index lives, as status output shows it. */
  indexPath(agentId: string): string {
    const key = this.indexKey(agentId);
    return this.#storage.locate?.(key) ?? key;
  }

  transcriptPath(agentId: string, entry: SessionEntry): string {
    const key = this.transcriptKey(agentId, entry.sessionFile);
    return this.#storage.locate?.(key) ?? key;
  }

  /** Reads an agent's index once; later calls reuse it. An unreadable index is an error, never overwritten. */
  load(agentId: string): Promise<Index> {
    const loaded = this.#indexes.get(agentId);
    if (loaded) return Promise.resolve(loaded);
    let loading = this.#loading.get(agentId);
    if (!loading) {
      loading = this.#readIndex(agentId).then(
        (index) => {
          this.#indexes.set(agentId, index);
          this.#loading.delete(agentId);
          return index;
        },
        (err: unknown) => {
          this.#loading.delete(agentId);
          throw err;
        },
      );
      this.#loading.set(agentId, loading);
    }
    return loading;
  }

  /** Loaded sessions of an agent, newest first (empty until `load`). */
  entries(agentId: string): Array<{ key: string; entry: SessionEntry }> {
    const index = this.#indexes.get(agentId) ?? {};
    return Object.entries(index)
      .map(([key, entry]) => ({ key, entry }))
      .sort((a, b) => b.entry.updatedAt - a.entry.updatedAt);
  }

  /** The row of `key` if the agent's index is loaded (it loads at start and stays current). */
  peek(agentId: string, key: string): SessionEntry | undefined {
    return this.#indexes.get(agentId)?.[key];
  }

  async get(agentId: string, key: string): Promise<SessionEntry | undefined> {
    return (await this.load(agentId))[key];
  }

  async findBySessionId(agentId: string, sessionId: string): Promise<string | undefined> {
    const index = await this.load(agentId);
    return Object.keys(index).find((key) => index[key]!.sessionId === sessionId);
  }

  /**
   * The session behind `key`, created (transcript header first, then the index row) when it does
   * not exist yet. With `sessionId`, the key moves to that session (a new or an existing one).
   */
  ensure(agentId: string, key: string, init: Partial<SessionEntry> = {}): Promise<SessionEntry> {
    return this.#mutate(agentId, async (index) => {
      const existing = index[key];
      if (existing && (init.sessionId === undefined || init.sessionId === existing.sessionId)) return { result: existing };
      const sessionId = init.sessionId === undefined ? randomUUID() : checkSessionId(init.sessionId);
      const now = this.#now();
      const entry: SessionEntry = { ...existing, ...stripUndefined(init), sessionId, sessionFile: `${sessionId}.jsonl`, createdAt: existing?.createdAt ?? now, updatedAt: now };
      const fileKey = this.transcriptKey(agentId, entry.sessionFile);
      if ((await this.#storage.read(fileKey)) === undefined) {
        const header: TranscriptHeader = { type: 'session', version: 1, id: sessionId, timestamp: new Date(now).toISOString(), agentId, sessionKey: key };
        await this.#storage.append(fileKey, JSON.stringify(header) + '\n');
        this.#tailChecked.add(fileKey);
      }
      return { result: entry, index: { ...index, [key]: entry } };
    });
  }

  /** Applies `patch` to an existing row (`updatedAt` defaults to now). */
  update(agentId: string, key: string, patch: Partial<SessionEntry>): Promise<SessionEntry> {
    return this.#mutate(agentId, async (index) => {
      const existing = index[key];
      if (!existing) throw new GatewayError('UNAVAILABLE', `session ${key} does not exist`);
      const entry: SessionEntry = { ...existing, updatedAt: this.#now(), ...stripUndefined(patch) };
      return { result: entry, index: { ...index, [key]: entry } };
    });
  }

  /** Replaces an existing row with what `edit` makes of it (it may drop keys; `updatedAt` is set to now). */
  edit(agentId: string, key: string, edit: (entry: SessionEntry) => SessionEntry): Promise<SessionEntry> {
    return this.#mutate(agentId, async (index) => {
      const existing = index[key];
      if (!existing) throw new GatewayError('INVALID_REQUEST', `session ${key} does not exist`);
      const entry: SessionEntry = { ...edit({ ...existing }), updatedAt: this.#now() };
      return { result: entry, index: { ...index, [key]: entry } };
    });
  }

  /**
   * Removes the row of `key`. Its transcript stays on disk (where the returned path says) unless
   * `deleteTranscript` is set and the storage can delete.
   */
  remove(agentId: string, key: string, options: { deleteTranscript?: boolean } = {}): Promise<{ removed?: SessionEntry; kept: string[] }> {
    return this.#mutate<{ removed?: SessionEntry; kept: string[] }>(agentId, async (index) => {
      const removed = index[key];
      if (!removed) return { result: { kept: [] } };
      const { [key]: _gone, ...rest } = index;
      const fileKey = this.transcriptKey(agentId, removed.sessionFile);
      let kept = [this.transcriptPath(agentId, removed)];
      if (options.deleteTranscript && this.#storage.remove) {
        await this.#storage.remove(fileKey);
        this.#tailChecked.delete(fileKey);
        kept = [];
      }
      return { result: { removed, kept }, index: rest };
    });
  }

  /**
   * Moves `key` to a new session whose transcript holds `messages` (written whole, then the index
   * switches to it): compaction. The previous transcript stays on disk; its path is returned.
   */
  rewrite(agentId: string, key: string, messages: readonly ModelMessage[], patch: Partial<SessionEntry> = {}): Promise<{ entry: SessionEntry; previous: string }> {
    return this.#mutate(agentId, async (index) => {
      const existing = index[key];
      if (!existing) throw new GatewayError('INVALID_REQUEST', `session ${key} does not exist`);
      const sessionId = randomUUID();
      const now = this.#now();
      const entry: SessionEntry = { ...existing, ...stripUndefined(patch), sessionId, sessionFile: `${sessionId}.jsonl`, updatedAt: now };
      const header: TranscriptHeader = { type: 'session', version: 1, id: sessionId, timestamp: new Date(now).toISOString(), agentId, sessionKey: key };
      const lines = messages.map((message): TranscriptLine => ({ type: 'message', id: randomUUID(), timestamp: new Date(now).toISOString(), message }));
      const fileKey = this.transcriptKey(agentId, entry.sessionFile);
      await this.#storage.write(fileKey, [header, ...lines].map((line) => JSON.stringify(line)).join('\n') + '\n');
      this.#tailChecked.add(fileKey);
      return { result: { entry, previous: this.transcriptPath(agentId, existing) }, index: { ...index, [key]: entry } };
    });
  }

  /** Appends one message line; resolves once it is on disk (fsync), with the line written. */
  async append(agentId: string, entry: SessionEntry, message: ModelMessage, runId?: string): Promise<TranscriptLine> {
    const line: TranscriptLine = { type: 'message', id: randomUUID(), timestamp: new Date(this.#now()).toISOString(), message };
    if (runId !== undefined) line.runId = runId;
    const fileKey = this.transcriptKey(agentId, entry.sessionFile);
    let prefix = '';
    if (!this.#tailChecked.has(fileKey)) {
      // A crash mid-append can leave a partial last line; start on a fresh line so ours survives.
      const text = await this.#storage.read(fileKey);
      if (text && !text.endsWith('\n')) prefix = '\n';
      this.#tailChecked.add(fileKey);
    }
    try {
      await this.#storage.append(fileKey, prefix + JSON.stringify(line) + '\n');
    } catch (err) {
      this.#tailChecked.delete(fileKey);
      throw new GatewayError('UNAVAILABLE', `session transcript write failed (${this.transcriptPath(agentId, entry)}): ${(err as Error).message}`, { cause: err });
    }
    return line;
  }

  /** The message lines of a transcript, in order; unreadable lines (a torn last write) are skipped. */
  async messages(agentId: string, entry: SessionEntry): Promise<TranscriptLine[]> {
    const fileKey = this.transcriptKey(agentId, entry.sessionFile);
    const text = await this.#storage.read(fileKey);
    if (text === undefined) return [];
    const out: TranscriptLine[] = [];
    let skipped = 0;
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        skipped++;
        continue;
      }
      if (isMessageLine(parsed)) out.push(parsed);
    }
    if (skipped) this.#logger.log('warn', 'sessions', `skipped ${skipped} unreadable line(s) in ${this.transcriptPath(agentId, entry)}`);
    return out;
  }

  async #readIndex(agentId: string): Promise<Index> {
    const key = this.indexKey(agentId);
    const text = await this.#storage.read(key);
    if (text === undefined || !text.trim()) return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      return value as Index;
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `session index ${this.indexPath(agentId)} is unreadable: ${(err as Error).message}; fix or move it away`, { cause: err });
    }
  }

  #mutate<T>(agentId: string, change: (index: Index) => Promise<{ result: T; index?: Index }>): Promise<T> {
    return this.#queue.run(agentId, async () => {
      const current = await this.load(agentId);
      const { result, index } = await change(current);
      if (index) {
        try {
          await this.#storage.write(this.indexKey(agentId), JSON.stringify(index, null, 2));
        } catch (err) {
          throw new GatewayError('UNAVAILABLE', `session index write failed (${this.indexPath(agentId)}): ${(err as Error).message}`, { cause: err });
        }
        this.#indexes.set(agentId, index);
      }
      return result;
    });
  }
}

function isMessageLine(value: unknown): value is TranscriptLine {
  const v = value as Partial<TranscriptLine> | null;
  return !!v && v.type === 'message' && !!v.message && typeof v.message === 'object' && typeof (v.message as { role?: unknown }).role === 'string';
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
