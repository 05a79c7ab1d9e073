import type pg from 'pg';
import type { AppendStorage } from '../lib/storage.js';
import type { PostgresChangeFeed } from './postgres-change-feed.js';
import { quoteIdent } from './postgres-schema.js';

export interface PostgresStorageOptions {
  pool: pg.Pool;
  schema: string;
  /** Written next to each change, and how this instance tells its own notifications apart. */
  instanceId: string;
  feed: PostgresChangeFeed;
}

/**
 * Gateway state as rows of one table (`kv`: key, text), shared by every instance. Each call is
 * one statement, so it is atomic and durable once it resolves (the server's commit); every change
 * is announced (NOTIFY, in the same transaction) to the other instances, whose caches drop it.
 */
export class PostgresStorage implements AppendStorage {
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #instanceId: string;
  readonly #feed: PostgresChangeFeed;

  constructor(options: PostgresStorageOptions) {
    this.#pool = options.pool;
    this.#table = `${quoteIdent(options.schema)}.kv`;
    this.#instanceId = options.instanceId;
    this.#feed = options.feed;
  }

  locate(key: string): string {
    return `postgres ${this.#table} key ${key}`;
  }

  async read(key: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ data: string }>(`SELECT data FROM ${this.#table} WHERE key = $1`, [key]);
    return rows[0]?.data;
  }

  async write(key: string, data: string): Promise<void> {
    await this.#pool.query(
      `WITH w AS (
         INSERT INTO ${this.#table} (key, data, updated_at, updated_by) VALUES ($1, $2, now(), $3)
         ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = now(), updated_by = $3
       ) SELECT ${this.#notify('$1')}`,
      [key, data, this.#instanceId],
    );
  }

  async append(key: string, data: string): Promise<void> {
    await this.#pool.query(
      `WITH w AS (
         INSERT INTO ${this.#table} (key, data, updated_at, updated_by) VALUES ($1, $2, now(), $3)
         ON CONFLICT (key) DO UPDATE SET data = ${this.#table}.data || excluded.data, updated_at = now(), updated_by = $3
       ) SELECT ${this.#notify('$1')}`,
      [key, data, this.#instanceId],
    );
  }

  async remove(key: string): Promise<void> {
    await this.#pool.query(`WITH d AS (DELETE FROM ${this.#table} WHERE key = $1) SELECT ${this.#notify('$1')}`, [key]);
  }

  async compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    let sql: string;
    let params: unknown[];
    if (expected === undefined && next === undefined) {
      const { rowCount } = await this.#pool.query(`SELECT 1 FROM ${this.#table} WHERE key = $1`, [key]);
      return rowCount === 0;
    }
    if (expected === undefined) {
      sql = `INSERT INTO ${this.#table} (key, data, updated_at, updated_by) VALUES ($1, $2, now(), $3) ON CONFLICT (key) DO NOTHING RETURNING key`;
      params = [key, next, this.#instanceId];
    } else if (next === undefined) {
      sql = `DELETE FROM ${this.#table} WHERE key = $1 AND data = $2 RETURNING key`;
      params = [key, expected];
    } else {
      sql = `UPDATE ${this.#table} SET data = $3, updated_at = now(), updated_by = $4 WHERE key = $1 AND data = $2 RETURNING key`;
      params = [key, expected, next, this.#instanceId];
    }
    const { rows } = await this.#pool.query<{ swapped: boolean }>(
      `WITH c AS (${sql}) SELECT count(*) > 0 AS swapped, CASE WHEN count(*) > 0 THEN ${this.#notify('$1')} END FROM c`,
      params,
    );
    return rows[0]?.swapped === true;
  }

  onExternalChange(listener: (key: string) => void): () => void {
    return this.#feed.on('kv', listener);
  }

  #notify(keyParam: string): string {
    return this.#feed.notifySql('kv', keyParam);
  }
}
