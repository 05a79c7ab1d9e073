import type pg from 'pg';
import { GatewayError } from '../lib/errors.js';
import type { NewOutboxEntry, OutboxEntry, OutboxError, OutboxFence, OutboxStore } from '../lib/channels/outbox-store.js';
import type { SendResult } from '../lib/protocol/generated/types.js';
import type { PostgresChangeFeed } from './postgres-change-feed.js';
import { fencedCondition } from './postgres-lease-provider.js';
import { quoteIdent } from './postgres-schema.js';

export interface PostgresOutboxStoreOptions {
  pool: pg.Pool;
  schema: string;
  instanceId: string;
  feed: PostgresChangeFeed;
  now?: () => number;
  /** How long a settled send is remembered for duplicates (default 24 hours). */
  retentionMs?: number;
}

interface Row {
  entry: OutboxEntry;
}

/**
 * The outbox in the shared database, one row per idempotency key, so every instance sees every
 * send and each is delivered once. A try is claimed in a transaction that first locks the
 * account's lease row (`FOR SHARE`) and checks the caller's fencing token is still current and
 * unexpired: a former owner is refused, and a takeover (which updates that row) waits for a claim
 * in progress to commit, so it sees the claim.
 */
export class PostgresOutboxStore implements OutboxStore {
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #leases: string;
  readonly #instanceId: string;
  readonly #feed: PostgresChangeFeed;
  readonly #now: () => number;
  readonly #retentionMs: number;

  constructor(options: PostgresOutboxStoreOptions) {
    this.#pool = options.pool;
    this.#table = `${quoteIdent(options.schema)}.outbox`;
    this.#leases = `${quoteIdent(options.schema)}.leases`;
    this.#instanceId = options.instanceId;
    this.#feed = options.feed;
    this.#now = options.now ?? Date.now;
    this.#retentionMs = options.retentionMs ?? 24 * 60 * 60_000;
  }

  async get(key: string): Promise<OutboxEntry | undefined> {
    const { rows } = await this.#pool.query<Row>(`SELECT entry FROM ${this.#table} WHERE key = $1`, [key]);
    return rows[0]?.entry;
  }

  enqueue(input: NewOutboxEntry, fence?: OutboxFence): Promise<OutboxEntry> {
    return this.#transaction(async (client) => {
      await this.#checkFence(client, fence);
      const { rows } = await client.query<Row>(`SELECT entry FROM ${this.#table} WHERE key = $1 FOR UPDATE`, [input.key]);
      const existing = rows[0]?.entry;
      if (existing && !(existing.state === 'failed' && !existing.error?.deliveryUnknown)) {
        if (existing.state !== 'pending') return existing;
        return this.#save(client, { ...existing, attempts: existing.attempts + 1, updatedAt: this.#now() }, fence);
      }
      const now = this.#now();
      return this.#save(client, { ...input, state: 'pending', attempts: 1, createdAt: now, updatedAt: now }, fence);
    });
  }

  markAttempt(key: string, fence?: OutboxFence): Promise<OutboxEntry | undefined> {
    return this.#transaction(async (client) => {
      await this.#checkFence(client, fence);
      const { rows } = await client.query<Row>(`SELECT entry FROM ${this.#table} WHERE key = $1 FOR UPDATE`, [key]);
      const entry = rows[0]?.entry;
      if (entry?.state !== 'pending') return entry;
      return this.#save(client, { ...entry, attempts: entry.attempts + 1, updatedAt: this.#now() }, fence);
    });
  }

  submit(input: NewOutboxEntry): Promise<OutboxEntry> {
    return this.#transaction(async (client) => {
      const { rows } = await client.query<Row>(`SELECT entry FROM ${this.#table} WHERE key = $1 FOR UPDATE`, [input.key]);
      const existing = rows[0]?.entry;
      if (existing && !(existing.state === 'failed' && !existing.error?.deliveryUnknown)) return existing;
      const now = this.#now();
      return this.#save(client, { ...input, state: 'pending', attempts: 0, createdAt: now, updatedAt: now });
    });
  }

  markDelivered(key: string, result: SendResult): Promise<void> {
    return this.#settle(key, { state: 'delivered', result });
  }

  markFailed(key: string, error: OutboxError): Promise<void> {
    return this.#settle(key, { state: 'failed', error });
  }

  async pending(): Promise<OutboxEntry[]> {
    const { rows } = await this.#pool.query<Row>(`SELECT entry FROM ${this.#table} WHERE state = 'pending' ORDER BY created_at, key`);
    return rows.map((r) => r.entry);
  }

  onExternalChange(listener: (key: string) => void): () => void {
    return this.#feed.on('outbox', listener);
  }

  /** Settles one entry and drops settled ones past the retention. */
  async #settle(key: string, patch: Pick<OutboxEntry, 'state' | 'result' | 'error'>): Promise<void> {
    await this.#transaction(async (client) => {
      const { rows } = await client.query<Row>(`SELECT entry FROM ${this.#table} WHERE key = $1 FOR UPDATE`, [key]);
      const entry = rows[0]?.entry;
      if (!entry) return;
      const now = this.#now();
      await this.#save(client, { ...entry, ...patch, updatedAt: now });
      await client.query(`DELETE FROM ${this.#table} WHERE state <> 'pending' AND updated_at <= $1`, [now - this.#retentionMs]);
    });
  }

  /** Locks the lease row for the rest of the transaction and checks the token; throws when it is stale. */
  async #checkFence(client: pg.PoolClient, fence: OutboxFence | undefined): Promise<void> {
    if (!fence) return;
    const { rowCount } = await client.query(`SELECT 1 FROM ${this.#leases} WHERE ${fencedCondition('$1', '$2')} FOR SHARE`, [
      fence.leaseKey,
      fence.fencingToken,
    ]);
    if (rowCount !== 1) {
      throw new GatewayError('UNAVAILABLE', `refused: fencing token ${fence.fencingToken} of ${fence.leaseKey} is no longer current (another instance owns the account now)`, {
        retryable: true,
        details: { leaseKey: fence.leaseKey, fencingToken: fence.fencingToken, fenced: true },
      });
    }
  }

  async #save(client: pg.PoolClient, entry: OutboxEntry, fence?: OutboxFence): Promise<OutboxEntry> {
    await client.query(
      `INSERT INTO ${this.#table} (key, channel, account_id, state, attempts, created_at, updated_at, claimed_by, claim_fencing_token, entry)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (key) DO UPDATE SET channel = $2, account_id = $3, state = $4, attempts = $5, created_at = $6, updated_at = $7,
         claimed_by = COALESCE($8, ${this.#table}.claimed_by), claim_fencing_token = COALESCE($9, ${this.#table}.claim_fencing_token), entry = $10`,
      [
        entry.key,
        entry.channel,
        entry.accountId ?? null,
        entry.state,
        entry.attempts,
        entry.createdAt,
        entry.updatedAt,
        fence ? this.#instanceId : null,
        fence?.fencingToken ?? null,
        JSON.stringify(entry),
      ],
    );
    await client.query(`SELECT ${this.#feed.notifySql('outbox', '$1')}`, [entry.key]);
    return entry;
  }

  async #transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
