import { randomUUID } from 'node:crypto';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { GatewayError } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';
import { silentLogger, type Logger } from '../logger.js';
import { TypedEmitter } from '../typed-emitter.js';
import type { ModelMessage } from '../providers/model-provider.js';
import type { AppendStorage } from '../storage.js';
import { checkSessionId, isStatelessSessionKey } from './session-keys.js';
import { DEFAULT_SESSION_MAINTENANCE, expiredStatelessKeys, type SessionMaintenance } from './session-maintenance.js';
import { replaceContents, SharedSessionIndex } from './shared-session-index.js';

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

/**
 * What changed in a store, after it changed: a row (`entry` undefined when it was removed; the
 * change may still be on its way to disk for deferred writes), or a message line on disk with its
 * 1-based position in the transcript (`seq`).
 */
export type SessionStoreChange =
  | { type: 'entry'; agentId: string; key: string; entry: SessionEntry | undefined; previous: SessionEntry | undefined }
  | { type: 'message'; agentId: string; key: string; entry: SessionEntry; line: TranscriptLine; seq: number };

export interface SessionStoreOptions {
  /** Under the state dir; transcripts need `append`. */
  storage: AppendStorage;
  now?: () => number;
  logger?: Logger;
  /** Timers of the deferred index write; default the process clock. */
  timers?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /**
   * How long deferred index changes (a run's counters, a stateless run's row, maintenance) wait,
   * so that many of them share one write. Default 1000 ms: what a crash can lose of them.
   */
  indexWriteDelayMs?: number;
  /** Which stateless sessions the deferred write removes; default upstream's `session.maintenance`. */
  maintenance?: SessionMaintenance;
}

type Index = Record<string, SessionEntry>;
/** Rows a change sets (or, undefined, removes). */
type IndexChanges = Array<[key: string, entry: SessionEntry | undefined]>;

const DEFAULT_INDEX_WRITE_DELAY_MS = 1000;

/**
 * Per-agent sessions: an index (`sessions.json`, written atomically) and one append-only JSONL
 * transcript per session. The index in memory is the truth; changes run one at a time per agent.
 * Changes someone relies on after a crash (a new addressable session, a reset, a patch, a
 * delete, a compaction) are on disk before they resolve. The rest (what a finished run updates, a
 * stateless run's row) is written once per `indexWriteDelayMs` with whatever else changed, and at
 * `flush`/`close`; that write also applies session maintenance, so neither the file nor its
 * write cost grows with every stateless request.
 *
 * On shared storage (a cluster store: `compareAndSet` and `onExternalChange`) several processes
 * keep the same index: each write merges the rows this process changed into the index as stored
 * now (compare-and-set, again on a lost race), so rows another process changed are kept, and
 * another process's change reloads the index here (keeping rows changed here and not yet written).
 */
export class SessionStore {
  readonly #storage: AppendStorage;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  readonly #writeDelayMs: number;
  readonly #maintenance: SessionMaintenance;
  readonly #indexes = new Map<string, Index>();
  readonly #loading = new Map<string, Promise<Index>>();
  readonly #queue = new KeyedQueue();
  /** Appends to one transcript, one at a time: each line's place (`seq`) is counted in order. */
  readonly #appends = new KeyedQueue();
  /** Transcripts whose last byte we know is a newline (or that we created). */
  readonly #tailChecked = new Set<string>();
  /** Agents whose index in memory has changes not yet on disk, with the timer that writes them. */
  readonly #pending = new Map<string, TimerHandle | undefined>();
  /** Sessions a run is using, by `agentId\0key`: maintenance leaves them alone. */
  readonly #held = new Map<string, number>();
  readonly #warned = new Set<string>();
  /** Message lines per transcript, counted on its first append in this process. */
  readonly #lineCounts = new Map<string, number>();
  readonly #changes: TypedEmitter<{ change: SessionStoreChange }>;
  /** Set on shared storage (a cluster store): rows changed here and not yet written. */
  readonly #shared?: SharedSessionIndex<SessionEntry>;
  #closed = false;

  constructor(options: SessionStoreOptions) {
    this.#storage = options.storage;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
    this.#timers = options.timers ?? systemClock;
    this.#writeDelayMs = options.indexWriteDelayMs ?? DEFAULT_INDEX_WRITE_DELAY_MS;
    this.#maintenance = options.maintenance ?? DEFAULT_SESSION_MAINTENANCE;
    this.#changes = new TypedEmitter((err) => this.#logger.log('warn', 'sessions', `session change listener failed: ${(err as Error).message}`));
    const { storage } = options;
    if (storage.compareAndSet && storage.onExternalChange) {
      this.#shared = new SharedSessionIndex(storage);
      storage.onExternalChange((key) => this.#external(key));
    }
  }

  /** Listens to every row change and appended message; returns the unsubscribe function. */
  onChange(listener: (change: SessionStoreChange) => void): () => void {
    return this.#changes.on('change', listener);
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
    // Nobody can address a stateless session again: losing its row in a crash costs nothing.
    return this.#mutate(agentId, isStatelessSessionKey(key) ? 'deferred' : 'now', async (index) => {
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
      return { result: entry, changes: [[key, entry]] };
    });
  }

  /**
   * Applies `patch` to an existing row (`updatedAt` defaults to now). Deferred: the change is in
   * memory at once and on disk with the next index write (what a run records when it ends).
   */
  update(agentId: string, key: string, patch: Partial<SessionEntry>): Promise<SessionEntry> {
    return this.#mutate(agentId, 'deferred', async (index) => {
      const existing = index[key];
      if (!existing) throw new GatewayError('UNAVAILABLE', `session ${key} does not exist`);
      const entry: SessionEntry = { ...existing, updatedAt: this.#now(), ...stripUndefined(patch) };
      return { result: entry, changes: [[key, entry]] };
    });
  }

  /** Replaces an existing row with what `edit` makes of it (it may drop keys; `updatedAt` is set to now). */
  edit(agentId: string, key: string, edit: (entry: SessionEntry) => SessionEntry): Promise<SessionEntry> {
    return this.#mutate(agentId, 'now', async (index) => {
      const existing = index[key];
      if (!existing) throw new GatewayError('INVALID_REQUEST', `session ${key} does not exist`);
      const entry: SessionEntry = { ...edit({ ...existing }), updatedAt: this.#now() };
      return { result: entry, changes: [[key, entry]] };
    });
  }

  /**
   * Removes the row of `key`. Its transcript stays on disk (where the returned path says) unless
   * `deleteTranscript` is set and the storage can delete.
   */
  remove(agentId: string, key: string, options: { deleteTranscript?: boolean } = {}): Promise<{ removed?: SessionEntry; kept: string[] }> {
    return this.#mutate<{ removed?: SessionEntry; kept: string[] }>(agentId, 'now', async (index) => {
      const removed = index[key];
      if (!removed) return { result: { kept: [] } };
      const fileKey = this.transcriptKey(agentId, removed.sessionFile);
      let kept = [this.transcriptPath(agentId, removed)];
      if (options.deleteTranscript && this.#storage.remove) {
        await this.#storage.remove(fileKey);
        this.#tailChecked.delete(fileKey);
        this.#lineCounts.delete(fileKey);
        kept = [];
      }
      return { result: { removed, kept }, changes: [[key, undefined]] };
    });
  }

  /**
   * Moves `key` to a new session whose transcript holds `messages` (written whole, then the index
   * switches to it): compaction. The previous transcript stays on disk; its path is returned.
   */
  rewrite(agentId: string, key: string, messages: readonly ModelMessage[], patch: Partial<SessionEntry> = {}): Promise<{ entry: SessionEntry; previous: string }> {
    return this.#mutate(agentId, 'now', async (index) => {
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
      return { result: { entry, previous: this.transcriptPath(agentId, existing) }, changes: [[key, entry]] };
    });
  }

  /** Appends one message line to the transcript of session `key`; resolves once it is on disk (fsync), with the line written. */
  append(agentId: string, key: string, entry: SessionEntry, message: ModelMessage, runId?: string): Promise<TranscriptLine> {
    const fileKey = this.transcriptKey(agentId, entry.sessionFile);
    return this.#appends.run(fileKey, () => this.#append(agentId, key, entry, fileKey, message, runId));
  }

  async #append(agentId: string, key: string, entry: SessionEntry, fileKey: string, message: ModelMessage, runId: string | undefined): Promise<TranscriptLine> {
    const line: TranscriptLine = { type: 'message', id: randomUUID(), timestamp: new Date(this.#now()).toISOString(), message };
    if (runId !== undefined) line.runId = runId;
    let prefix = '';
    let count = this.#lineCounts.get(fileKey);
    if (count === undefined || !this.#tailChecked.has(fileKey)) {
      const text = await this.#storage.read(fileKey);
      // A crash mid-append can leave a partial last line; start on a fresh line so ours survives.
      if (!this.#tailChecked.has(fileKey) && text && !text.endsWith('\n')) prefix = '\n';
      this.#tailChecked.add(fileKey);
      count ??= text === undefined ? 0 : parseMessageLines(text).length;
    }
    try {
      await this.#storage.append(fileKey, prefix + JSON.stringify(line) + '\n');
    } catch (err) {
      this.#tailChecked.delete(fileKey);
      this.#lineCounts.delete(fileKey);
      throw new GatewayError('UNAVAILABLE', `session transcript write failed (${this.transcriptPath(agentId, entry)}): ${(err as Error).message}`, { cause: err });
    }
    this.#lineCounts.set(fileKey, count + 1);
    this.#changes.emit('change', { type: 'message', agentId, key, entry, line, seq: count + 1 });
    return line;
  }

  /** The message lines of a transcript, in order; unreadable lines (a torn last write) are skipped. */
  async messages(agentId: string, entry: SessionEntry): Promise<TranscriptLine[]> {
    const fileKey = this.transcriptKey(agentId, entry.sessionFile);
    const text = await this.#storage.read(fileKey);
    if (text === undefined) return [];
    const { lines, skipped } = parseTranscript(text);
    if (skipped) this.#logger.log('warn', 'sessions', `skipped ${skipped} unreadable line(s) in ${this.transcriptPath(agentId, entry)}`);
    return lines;
  }

  async #readIndex(agentId: string): Promise<Index> {
    return this.#parseIndex(agentId, await this.#storage.read(this.indexKey(agentId)));
  }

  #parseIndex(agentId: string, text: string | undefined): Index {
    if (text === undefined || !text.trim()) return {};
    try {
      const value = JSON.parse(text) as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
      return value as Index;
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `session index ${this.indexPath(agentId)} is unreadable: ${(err as Error).message}; fix or move it away`, { cause: err });
    }
  }

  /** Marks a session as in use by a run until the returned function is called: maintenance keeps it. */
  hold(agentId: string, key: string): () => void {
    const id = `${agentId}\0${key}`;
    this.#held.set(id, (this.#held.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#held.get(id) ?? 1) - 1;
      if (left > 0) this.#held.set(id, left);
      else this.#held.delete(id);
    };
  }

  /**
   * Writes deferred index changes now (of every agent without `agentId`), applying session
   * maintenance first; resolves once they are on disk and removed sessions' transcripts are gone.
   */
  async flush(agentId?: string): Promise<void> {
    const ids = agentId === undefined ? [...this.#pending.keys()] : [agentId];
    await Promise.all(ids.map((id) => this.#flushAgent(id)));
  }

  /**
   * Session maintenance now (at start, say), rather than with the next deferred write: removes
   * the stateless sessions the policy expires, with their transcripts. Returns their keys.
   */
  async prune(agentId: string): Promise<string[]> {
    await this.load(agentId);
    const removed = await this.#queue.run(agentId, () => {
      const gone = this.#maintain(agentId);
      if (gone.length) this.#schedule(agentId);
      return gone;
    });
    await this.#deleteTranscripts(agentId, removed);
    return removed.map(([key]) => key);
  }

  /** Writes what is pending; from now on every change is written before it resolves. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  async #flushAgent(agentId: string): Promise<void> {
    const removed = await this.#queue.run(agentId, async () => {
      if (!this.#pending.has(agentId)) return [];
      const gone = this.#maintain(agentId);
      await this.#write(agentId);
      return gone;
    });
    await this.#deleteTranscripts(agentId, removed);
  }

  /** Drops the rows maintenance expires from the index in memory; returns them. Runs in the agent's queue. */
  #maintain(agentId: string): Array<[string, SessionEntry]> {
    const index = this.#indexes.get(agentId);
    if (!index) return [];
    const keys = expiredStatelessKeys(index, this.#maintenance, this.#now(), (key) => this.#held.has(`${agentId}\0${key}`));
    if (!keys.length) return [];
    if (this.#maintenance.mode === 'warn') {
      if (!this.#warned.has(agentId)) {
        this.#warned.add(agentId);
        this.#logger.log('warn', 'sessions', `session.maintenance would remove ${keys.length} stateless session(s) of agent "${agentId}" (mode "warn": kept)`);
      }
      return [];
    }
    const removed = keys.map((key): [string, SessionEntry] => [key, index[key]!]);
    for (const key of keys) delete index[key];
    this.#shared?.mark(agentId, removed);
    for (const [key, previous] of removed) this.#changes.emit('change', { type: 'entry', agentId, key, entry: undefined, previous });
    this.#logger.log('info', 'sessions', `session maintenance removed ${keys.length} stateless session(s) of agent "${agentId}"`);
    return removed;
  }

  async #deleteTranscripts(agentId: string, removed: ReadonlyArray<[string, SessionEntry]>): Promise<void> {
    if (!this.#storage.remove) return;
    for (const [, entry] of removed) {
      const fileKey = this.transcriptKey(agentId, entry.sessionFile);
      this.#tailChecked.delete(fileKey);
      this.#lineCounts.delete(fileKey);
      try {
        await this.#storage.remove(fileKey);
      } catch (err) {
        this.#logger.log('warn', 'sessions', `removing transcript ${this.transcriptPath(agentId, entry)} failed: ${(err as Error).message}`);
      }
    }
  }

  /** Writes the agent's index (as it is in memory unless `data` is given). Runs in the agent's queue. */
  async #write(agentId: string, data = serialize(this.#indexes.get(agentId) ?? {})): Promise<void> {
    try {
      if (this.#shared) await this.#shared.write(agentId, this.indexKey(agentId), this.#indexes.get(agentId) ?? {}, (text) => this.#parseIndex(agentId, text), serialize);
      else await this.#storage.write(this.indexKey(agentId), data);
    } catch (err) {
      throw new GatewayError('UNAVAILABLE', `session index write failed (${this.indexPath(agentId)}): ${(err as Error).message}`, { cause: err });
    }
    const timer = this.#pending.get(agentId);
    if (timer !== undefined) this.#timers.clearTimeout(timer);
    this.#pending.delete(agentId);
  }

  /** Another process changed a key: an index is reloaded (keeping our unwritten rows), a transcript's counts are dropped. */
  #external(key: string): void {
    for (const fileKey of key === '*' ? [...this.#lineCounts.keys()] : [key]) {
      this.#lineCounts.delete(fileKey);
      this.#tailChecked.delete(fileKey);
    }
    for (const agentId of [...this.#indexes.keys()].filter((id) => key === '*' || this.indexKey(id) === key)) {
      this.#queue
        .run(agentId, async () => {
          const index = this.#indexes.get(agentId);
          if (index) replaceContents(index, this.#shared!.overlay(agentId, index, await this.#readIndex(agentId)));
        })
        .catch((err: unknown) => this.#logger.log('warn', 'sessions', `reloading the index of agent "${agentId}" failed: ${(err as Error).message}`));
    }
  }

  /** Arranges a write of the agent's index within the write delay (one timer however many changes). */
  #schedule(agentId: string): void {
    if (this.#pending.get(agentId) !== undefined) return;
    const timer = this.#timers.setTimeout(() => {
      // A failed write stays pending: the next change schedules it again, and close retries it.
      this.#pending.set(agentId, undefined);
      this.#flushAgent(agentId).catch((err: unknown) => this.#logger.log('error', 'sessions', (err as Error).message));
    }, this.#writeDelayMs);
    this.#pending.set(agentId, timer);
  }

  /**
   * Runs `change` in the agent's queue and applies the rows it returns to the index in memory:
   * `deferred` at once, `now` only once the index with them is on disk (a failed write changes
   * nothing). The index is changed in place: copying thousands of rows per run costs more than
   * the run's own bookkeeping.
   */
  #mutate<T>(agentId: string, when: 'now' | 'deferred', change: (index: Readonly<Index>) => Promise<{ result: T; changes?: IndexChanges }>): Promise<T> {
    return this.#queue.run(agentId, async () => {
      const index = await this.load(agentId);
      const { result, changes } = await change(index);
      if (!changes?.length) return result;
      const previous: IndexChanges = changes.map(([key]) => [key, index[key]]);
      if (when === 'deferred' && !this.#closed) {
        apply(index, changes);
        this.#shared?.mark(agentId, changes);
        this.#schedule(agentId);
      } else if (this.#shared) {
        const dirty = this.#shared.dirty(agentId);
        const fresh = changes.filter(([key]) => !dirty.has(key));
        apply(index, changes);
        this.#shared.mark(agentId, changes);
        try {
          await this.#write(agentId);
        } catch (err) {
          apply(index, previous);
          for (const [key] of fresh) dirty.delete(key);
          throw err;
        }
      } else {
        apply(index, changes);
        // Serialised with the change, then put back until it is on disk; nothing runs in between.
        const data = serialize(index);
        apply(index, previous);
        await this.#write(agentId, data);
        apply(index, changes);
      }
      changes.forEach(([key, entry], i) => this.#changes.emit('change', { type: 'entry', agentId, key, entry, previous: previous[i]![1] }));
      return result;
    });
  }
}

function apply(index: Index, changes: IndexChanges): void {
  for (const [key, entry] of changes) {
    if (entry) index[key] = entry;
    else delete index[key];
  }
}

function serialize(index: Index): string {
  return JSON.stringify(index, null, 2);
}

function parseTranscript(text: string): { lines: TranscriptLine[]; skipped: number } {
  const lines: TranscriptLine[] = [];
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
    if (isMessageLine(parsed)) lines.push(parsed);
  }
  return { lines, skipped };
}

function parseMessageLines(text: string): TranscriptLine[] {
  return parseTranscript(text).lines;
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
