import { createHash } from 'node:crypto';
import { GatewayError, invalidRequest } from '../errors.js';
import { KeyedQueue } from '../keyed-queue.js';
import type {
  ExecApprovalsAgent,
  ExecApprovalsAllowlistEntry,
  ExecApprovalsFile,
  ExecApprovalsMcpToolEntry,
  ExecApprovalsPolicyFields,
  ExecApprovalsSnapshot,
} from '../protocol/generated/types.js';
import type { Storage } from '../storage.js';

/** Where upstream keeps it: `<state dir>/exec-approvals.json`. */
export const EXEC_APPROVALS_KEY = 'exec-approvals.json';

export interface ExecApprovalsStoreOptions {
  /** The state dir's storage; the file is written atomically through it. */
  storage: Storage;
  key?: string;
}

/** The file as stored: its text, hash and parsed content (or why it could not be parsed). */
interface StoredFile {
  exists: boolean;
  hash: string;
  file?: ExecApprovalsFile;
  error?: string;
}

/**
 * The exec approvals file (docs/protocol.md, Exec approvals). It is read on every use, since a
 * node host or an editor may change it beside the gateway; `set` refuses a stale `baseHash`, as
 * `config.set` does. The socket token a companion app keeps in it never leaves the gateway.
 */
export class ExecApprovalsStore {
  readonly #storage: Storage;
  readonly #key: string;
  /** Read-modify-write cycles run one at a time. */
  readonly #queue = new KeyedQueue();

  constructor(options: ExecApprovalsStoreOptions) {
    this.#storage = options.storage;
    this.#key = options.key ?? EXEC_APPROVALS_KEY;
  }

  get path(): string {
    return this.#storage.locate?.(this.#key) ?? this.#key;
  }

  /** What `exec.approvals.get` answers. Throws UNAVAILABLE when the file is not valid JSON. */
  async snapshot(): Promise<ExecApprovalsSnapshot> {
    return this.#view(await this.#read());
  }

  /** The policy content; throws like `snapshot` on a broken file (callers fail closed). */
  async file(): Promise<ExecApprovalsFile> {
    return this.#parsed(await this.#read());
  }

  /** Replaces the file; `baseHash` must be the current hash whenever the file exists. */
  set(file: ExecApprovalsFile, baseHash: string | undefined): Promise<ExecApprovalsSnapshot> {
    return this.#queue.run(this.#key, async () => {
      const current = await this.#read();
      if (current.exists) {
        if (baseHash === undefined) throw invalidRequest('exec approvals base hash required; re-run exec.approvals.get and retry');
        if (baseHash !== current.hash) throw invalidRequest('exec approvals changed since last load; re-run exec.approvals.get and retry');
      }
      // A file sent without a socket keeps the one a companion app set up.
      const socket = { path: current.file?.socket?.path, ...file.socket, ...keepToken(current.file) };
      return this.#view(await this.#write(normalizeFile({ ...file, socket })));
    });
  }

  /**
   * Changes the stored file with `change` (allow-always entries, last-used marks). `change`
   * returns false to leave the file as it is.
   */
  update(change: (file: ExecApprovalsFile) => boolean): Promise<void> {
    return this.#queue.run(this.#key, async () => {
      const file = this.#parsed(await this.#read());
      if (change(file)) await this.#write(file);
    });
  }

  async #read(): Promise<StoredFile> {
    const raw = await this.#storage.read(this.#key);
    if (raw === undefined) return { exists: false, hash: sha256(''), file: normalizeFile({}) };
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      return { exists: true, hash: sha256(raw), error: `not valid JSON: ${(err as Error).message}` };
    }
    if (!isRecord(parsed)) return { exists: true, hash: sha256(raw), error: 'not a JSON object' };
    return { exists: true, hash: sha256(raw), file: normalizeFile(parsed) };
  }

  async #write(file: ExecApprovalsFile): Promise<StoredFile> {
    const text = `${JSON.stringify(file, null, 2)}\n`;
    await this.#storage.write(this.#key, text);
    return { exists: true, hash: sha256(text), file };
  }

  #parsed(stored: StoredFile): ExecApprovalsFile {
    if (stored.file) return stored.file;
    throw new GatewayError('UNAVAILABLE', `exec approvals file ${this.path} is ${stored.error}; fix it, or replace it with exec.approvals.set (baseHash ${stored.hash})`, {
      details: { path: this.path, hash: stored.hash },
    });
  }

  #view(stored: StoredFile): ExecApprovalsSnapshot {
    const file = this.#parsed(stored);
    const { socket, ...rest } = file;
    const path = socket?.path;
    return { path: this.path, exists: stored.exists, hash: stored.hash, file: { ...rest, ...(path === undefined ? {} : { socket: { path } }) } };
  }
}

/** The socket token stays what the file holds: clients never see it, so they cannot mean to change it. */
function keepToken(current: ExecApprovalsFile | undefined): { token?: string } {
  const token = current?.socket?.token;
  return token === undefined ? {} : { token };
}

/**
 * Keeps the keys the schema knows, with the types it gives them; anything else in a hand-edited
 * file is dropped, so what `get` answers always matches the schema.
 */
export function normalizeFile(input: Record<string, unknown>): ExecApprovalsFile {
  const file: ExecApprovalsFile = { version: 1 };
  if (isRecord(input.socket)) {
    const socket: NonNullable<ExecApprovalsFile['socket']> = {};
    if (typeof input.socket.path === 'string') socket.path = input.socket.path;
    if (typeof input.socket.token === 'string') socket.token = input.socket.token;
    if (Object.keys(socket).length) file.socket = socket;
  }
  file.defaults = isRecord(input.defaults) ? policyFields(input.defaults) : {};
  const agents: Record<string, ExecApprovalsAgent> = {};
  if (isRecord(input.agents)) {
    for (const [id, agent] of Object.entries(input.agents)) {
      if (!isRecord(agent)) continue;
      const entry: ExecApprovalsAgent = policyFields(agent);
      if (Array.isArray(agent.allowlist)) entry.allowlist = agent.allowlist.filter(isRecord).flatMap(allowlistEntry);
      if (Array.isArray(agent.mcpTools)) entry.mcpTools = agent.mcpTools.filter(isMcpTool);
      agents[id] = entry;
    }
  }
  file.agents = agents;
  return file;
}

function policyFields(input: Record<string, unknown>): ExecApprovalsPolicyFields {
  const out: ExecApprovalsPolicyFields = {};
  for (const key of ['security', 'ask', 'askFallback'] as const) if (typeof input[key] === 'string') out[key] = input[key];
  if (typeof input.autoAllowSkills === 'boolean') out.autoAllowSkills = input.autoAllowSkills;
  return out;
}

function allowlistEntry(input: Record<string, unknown>): ExecApprovalsAllowlistEntry[] {
  if (typeof input.pattern !== 'string') return [];
  const entry: ExecApprovalsAllowlistEntry = { pattern: input.pattern };
  for (const key of ['id', 'commandText', 'argPattern', 'lastUsedCommand', 'lastResolvedPath'] as const) {
    const value = input[key];
    if (typeof value === 'string' && (key !== 'id' || value.length > 0)) entry[key] = value;
  }
  if (input.source === 'allow-always') entry.source = 'allow-always';
  if (Number.isInteger(input.lastUsedAt) && (input.lastUsedAt as number) >= 0) entry.lastUsedAt = input.lastUsedAt as number;
  return [entry];
}

function isMcpTool(input: unknown): input is ExecApprovalsMcpToolEntry {
  return (
    isRecord(input) &&
    typeof input.server === 'string' && /\S/.test(input.server) &&
    typeof input.tool === 'string' && /\S/.test(input.tool) &&
    input.source === 'allow-always' &&
    typeof input.addedAt === 'number' && input.addedAt >= 0 &&
    Object.keys(input).every((k) => ['server', 'tool', 'source', 'addedAt', 'lastUsedAt'].includes(k)) &&
    (input.lastUsedAt === undefined || (typeof input.lastUsedAt === 'number' && input.lastUsedAt >= 0))
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
