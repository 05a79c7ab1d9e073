import pg from 'pg';
import { silentLogger, type Logger } from '../lib/logger.js';
import { PostgresChangeFeed } from './postgres-change-feed.js';
import { PostgresLeaseProvider } from './postgres-lease-provider.js';
import { PostgresOutboxStore } from './postgres-outbox-store.js';
import { migrate } from './postgres-schema.js';
import { PostgresStorage } from './postgres-storage.js';

export interface PostgresClusterOptions {
  /** `postgres://user:password@host:port/database`. */
  url: string;
  /** Schema of this tenant's tables (default `clawgate`). */
  schema?: string;
  /** This instance's name in lease rows and change notices. */
  instanceId: string;
  logger?: Logger;
  /** Pooled connections for store queries (default 5); each held lease has one more of its own. */
  poolSize?: number;
}


/**
 * One instance's connection to the shared PostgreSQL: the pooled store connections, the change
 * feed (LISTEN), the tables (created or migrated on connect) and the store, lease and outbox
 * implementations over them.
 */
export class PostgresCluster {
  readonly instanceId: string;
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly storage: PostgresStorage;
  readonly leases: PostgresLeaseProvider;
  readonly outbox: PostgresOutboxStore;
  readonly #feed: PostgresChangeFeed;

  private constructor(options: PostgresClusterOptions, pool: pg.Pool, feed: PostgresChangeFeed, instanceId: string, schema: string) {
    const logger = options.logger ?? silentLogger;
    this.instanceId = instanceId;
    this.schema = schema;
    this.pool = pool;
    this.#feed = feed;
    this.storage = new PostgresStorage({ pool, schema, instanceId, feed });
    this.leases = new PostgresLeaseProvider({ url: options.url, pool, schema, instanceId, logger, feed });
    this.outbox = new PostgresOutboxStore({ pool, schema, instanceId, feed });
  }

  /** Connects, creates or migrates the tables, and starts listening for other instances' changes. */
  static async connect(options: PostgresClusterOptions): Promise<PostgresCluster> {
    const schema = options.schema ?? 'clawgate';
    const instanceId = options.instanceId;
    const logger = options.logger ?? silentLogger;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 5,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      // A query on a connection cut off mid-way (a partition) fails instead of hanging the caller.
      query_timeout: 10_000,
      application_name: `clawgate ${instanceId}`,
    });
    // An idle pooled connection that breaks is dropped by the pool; the next query opens another.
    pool.on('error', (err) => logger.log('warn', 'cluster', `a pooled PostgreSQL connection failed: ${err.message}`));
    const feed = new PostgresChangeFeed({ url: options.url, schema, instanceId, logger });
    try {
      await migrate(pool, schema);
      await feed.start();
    } catch (err) {
      await feed.close();
      await pool.end().catch(() => undefined);
      throw err;
    }
    return new PostgresCluster(options, pool, feed, instanceId, schema);
  }

  /** Round trip to the server, for `doctor` and status (ms). */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.pool.query('SELECT 1');
    return performance.now() - started;
  }

  /** Releases nothing by itself: callers release their leases first (channels stop before this). */
  async close(): Promise<void> {
    await this.#feed.close();
    await this.pool.end().catch(() => undefined);
  }
}
