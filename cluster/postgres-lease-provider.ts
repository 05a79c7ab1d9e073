import pg from 'pg';
import { GatewayError } from '../lib/errors.js';
import type { Lease, LeaseAcquireOptions, LeaseProvider, LeaseRecord } from '../lib/lease.js';
import type { Logger } from '../lib/logger.js';
import type { PostgresChangeFeed } from './postgres-change-feed.js';
import { quoteIdent } from './postgres-schema.js';

export interface PostgresLeaseProviderOptions {
  url: string;
  pool: pg.Pool;
  schema: string;
  instanceId: string;
  logger: Logger;
  /** Announces releases, so waiting contenders on other instances try at once. */
  feed?: PostgresChangeFeed;
}

/**
 * Leases in PostgreSQL. Holding one is two things at once:
 * - a session-level advisory lock on a connection of its own, so a holder that dies (its
 *   process, its host) frees the key as soon as the server sees the connection close;
 * - a row in `leases` with a fencing token, incremented on every acquisition, and an expiry by the
 *   server's clock that the holder pushes forward every third of the TTL.
 * A holder that cannot renew in time (paused, cut off from the database) reports the lease lost at
 * the TTL by its own clock, which is never later than the row's expiry. A contender that finds the
 * lock taken but the row expired ends the stale holder's session (`pg_terminate_backend`) and takes
 * over, so a partitioned holder whose connection lingers on the server cannot keep a key past its
 * TTL. Writes fenced by a token check, in their own transaction, that it is still the row's
 * current token and unexpired ({@link fencedCondition}).
 */
export class PostgresLeaseProvider implements LeaseProvider {
  readonly #options: PostgresLeaseProviderOptions;
  readonly #table: string;
  readonly #held = new Set<PostgresLease>();
  /** Listeners to releases: the feed tells of other instances' ones, this set of our own. */
  readonly #ownReleases = new Set<(key: string) => void>();

  constructor(options: PostgresLeaseProviderOptions) {
    this.#options = options;
    this.#table = `${quoteIdent(options.schema)}.leases`;
  }

  describe(key: string): string {
    return `postgres lease ${key} (${this.#options.schema})`;
  }

  /** The leases this instance holds now. */
  held(): Lease[] {
    return [...this.#held];
  }

  async list(): Promise<LeaseRecord[]> {
    const { rows } = await this.#options.pool.query<{ key: string; holder: string | null; fencing_token: string; expires_at: Date }>(
      `SELECT key, holder, fencing_token, expires_at FROM ${this.#table} ORDER BY key`,
    );
    return rows.map((r) => ({ key: r.key, holder: r.holder, fencingToken: Number(r.fencing_token), expiresAt: r.expires_at.getTime() }));
  }

  onReleased(listener: (key: string) => void): () => void {
    const offOthers = this.#options.feed?.on('lease', listener);
    this.#ownReleases.add(listener);
    return () => {
      offOthers?.();
      this.#ownReleases.delete(listener);
    };
  }

  async isCurrent(key: string, fencingToken: number): Promise<boolean> {
    const { rowCount } = await this.#options.pool.query(`SELECT 1 FROM ${this.#table} WHERE ${fencedCondition('$1', '$2')}`, [key, fencingToken]);
    return rowCount === 1;
  }

  async tryAcquire(key: string, options: LeaseAcquireOptions): Promise<Lease | undefined> {
    const { url, instanceId } = this.#options;
    const lockKey = `clawgate-lease:${this.#options.schema}:${key}`;
    // Bounded waits: a try during a partition fails (and is retried) instead of blocking the account's queue.
    const client = new pg.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      query_timeout: Math.max(1_000, Math.round(options.ttlMs)),
      application_name: `clawgate lease ${instanceId}`,
    });
    // Errors before the lease exists reject below; after, the lease reports them as its loss.
    const early = (): void => undefined;
    client.on('error', early);
    await client.connect();
    try {
      let locked = await tryLock(client, lockKey);
      if (!locked && (await this.#terminateExpiredHolder(key, lockKey))) locked = await tryLock(client, lockKey);
      if (!locked) {
        await client.end();
        return undefined;
      }
      const ttl = Math.max(1, Math.round(options.ttlMs));
      const started = Date.now();
      const { rows } = await client.query<{ fencing_token: string }>(
        `INSERT INTO ${this.#table} (key, fencing_token, holder, acquired_at, expires_at)
         VALUES ($1, 1, $2, now(), now() + $3 * interval '1 millisecond')
         ON CONFLICT (key) DO UPDATE SET fencing_token = ${this.#table}.fencing_token + 1, holder = $2, acquired_at = now(), expires_at = excluded.expires_at
         RETURNING fencing_token`,
        [key, instanceId, ttl],
      );
      client.off('error', early);
      const lease = new PostgresLease({
        key,
        client,
        pool: this.#options.pool,
        table: this.#table,
        fencingToken: Number(rows[0]!.fencing_token),
        ttlMs: ttl,
        renewedAt: started,
        logger: this.#options.logger,
        onGone: (l) => this.#held.delete(l),
        notifySql: this.#options.feed?.notifySql('lease', '$1'),
        onReleased: (k) => {
          for (const listener of [...this.#ownReleases]) listener(k);
        },
      });
      this.#held.add(lease);
      return lease;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new GatewayError('UNAVAILABLE', `lease ${key}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Ends the session holding `lockKey` when the row says its lease expired; true when one was ended. */
  async #terminateExpiredHolder(key: string, lockKey: string): Promise<boolean> {
    const { rows } = await this.#options.pool.query<{ ended: boolean }>(
      `WITH h AS (SELECT hashtextextended($2, 0) AS k)
       SELECT pg_terminate_backend(l.pid, 1000) AS ended
         FROM pg_locks l, h, ${this.#table} t
        WHERE t.key = $1 AND t.expires_at < now()
          AND l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.classid = ((h.k >> 32) & 4294967295)::oid AND l.objid = (h.k & 4294967295)::oid`,
      [key, lockKey],
    );
    if (!rows.some((r) => r.ended)) return false;
    this.#options.logger.log('warn', 'cluster', `lease ${key}: its holder let it expire; ended that holder's database session to take over`);
    return true;
  }
}

/**
 * SQL true when `tokenParam` is the current, unexpired fencing token of lease `keyParam`; for the
 * WHERE of a statement over the `leases` table.
 */
export function fencedCondition(keyParam: string, tokenParam: string): string {
  return `key = ${keyParam} AND fencing_token = ${tokenParam} AND expires_at > now()`;
}

async function tryLock(client: pg.Client, lockKey: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [lockKey]);
  return rows[0]!.locked;
}

interface PostgresLeaseInit {
  key: string;
  client: pg.Client;
  pool: pg.Pool;
  table: string;
  fencingToken: number;
  ttlMs: number;
  renewedAt: number;
  logger: Logger;
  onGone(lease: PostgresLease): void;
  /** `pg_notify(…)` announcing a release of the key in `$1`. */
  notifySql?: string;
  onReleased(key: string): void;
}

class PostgresLease implements Lease {
  readonly key: string;
  readonly fencingToken: number;
  readonly #init: PostgresLeaseInit;
  readonly #lostListeners = new Set<(reason: string) => void>();
  #expiresAt: number;
  #state: 'held' | 'lost' | 'released' = 'held';
  #deadline?: NodeJS.Timeout;

  constructor(init: PostgresLeaseInit) {
    this.#init = init;
    this.key = init.key;
    this.fencingToken = init.fencingToken;
    this.#expiresAt = init.renewedAt + init.ttlMs;
    init.client.on('error', (err) => this.#lose(`its database session failed: ${err.message}`));
    init.client.on('end', () => this.#lose('its database session ended'));
    this.#arm();
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  async renew(): Promise<void> {
    if (this.#state !== 'held') throw new GatewayError('UNAVAILABLE', `lease ${this.key} is ${this.#state}`);
    const { client, table, ttlMs } = this.#init;
    const started = Date.now();
    let renewed: boolean;
    try {
      const { rowCount } = await client.query(
        `UPDATE ${table} SET expires_at = now() + $3 * interval '1 millisecond' WHERE ${fencedCondition('$1', '$2')}`,
        [this.key, this.fencingToken, ttlMs],
      );
      renewed = rowCount === 1;
    } catch (err) {
      this.#lose(`renewing failed: ${(err as Error).message}`);
      throw new GatewayError('UNAVAILABLE', `lease ${this.key}: renewing failed: ${(err as Error).message}`, { cause: err });
    }
    if (this.#state !== 'held') throw new GatewayError('UNAVAILABLE', `lease ${this.key} is ${this.#state}`);
    if (!renewed) {
      const reason = 'it expired or was taken over before it was renewed';
      this.#lose(reason);
      throw new GatewayError('UNAVAILABLE', `lease ${this.key}: ${reason}`);
    }
    // Counted from when the renewal was sent: the row's expiry is at least that late.
    this.#expiresAt = started + ttlMs;
    this.#arm();
  }

  onLost(listener: (reason: string) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  async release(): Promise<void> {
    if (this.#state !== 'held') return;
    this.#state = 'released';
    this.#stop();
    const { client, table } = this.#init;
    // Expire the row so a contender need not wait for the TTL, then drop the session (and its lock).
    await client
      .query(`UPDATE ${table} SET holder = NULL, expires_at = now() WHERE ${fencedCondition('$1', '$2')}`, [this.key, this.fencingToken])
      .catch(() => undefined);
    await client.end().catch(() => undefined);
    // Only now is the lock free: contenders told earlier would find it still held.
    if (this.#init.notifySql) await this.#init.pool.query(`SELECT ${this.#init.notifySql}`, [this.key]).catch(() => undefined);
    this.#init.onReleased(this.key);
  }

  /** A renewal must land before the TTL runs out by our clock; otherwise the lease is lost. */
  #arm(): void {
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(() => this.#lose('it was not renewed within its TTL'), Math.max(0, this.#expiresAt - Date.now()));
    this.#deadline.unref();
  }

  #stop(): void {
    clearTimeout(this.#deadline);
    this.#init.onGone(this);
  }

  #lose(reason: string): void {
    if (this.#state !== 'held') return;
    this.#state = 'lost';
    this.#stop();
    this.#init.logger.log('warn', 'cluster', `lease ${this.key} (fencing token ${this.fencingToken}) lost: ${reason}`);
    this.#init.client.end().catch(() => undefined);
    for (const listener of [...this.#lostListeners]) listener(reason);
  }
}
