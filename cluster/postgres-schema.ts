import type pg from 'pg';

/** `"name"`: a schema or table name as an SQL identifier (the config pattern already limits it). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The tables, one migration per entry; applied in order, each once, recorded in `migrations`.
 * Never edit a shipped entry: add the next one.
 */
function migrations(s: string): string[] {
  return [
    `CREATE TABLE ${s}.kv (
       key text PRIMARY KEY,
       data text NOT NULL,
       updated_at timestamptz NOT NULL DEFAULT now(),
       updated_by text
     );
     CREATE TABLE ${s}.leases (
       key text PRIMARY KEY,
       fencing_token bigint NOT NULL,
       holder text,
       acquired_at timestamptz NOT NULL,
       expires_at timestamptz NOT NULL
     );
     CREATE TABLE ${s}.outbox (
       key text PRIMARY KEY,
       channel text NOT NULL,
       account_id text,
       state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
       attempts integer NOT NULL,
       created_at bigint NOT NULL,
       updated_at bigint NOT NULL,
       claimed_by text,
       claim_fencing_token bigint,
       entry jsonb NOT NULL
     );
     CREATE INDEX outbox_pending ON ${s}.outbox (created_at) WHERE state = 'pending';
     CREATE INDEX outbox_settled ON ${s}.outbox (updated_at) WHERE state <> 'pending';`,
  ];
}

/**
 * Creates the schema and brings its tables up to date. Safe to run from every instance at once:
 * a transaction-scoped advisory lock lets one migrate while the others wait, then find it done.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const s = quoteIdent(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`clawgate-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${s}.migrations`)).rows.map((r) => r.version));
    const steps = migrations(s);
    for (const [i, sql] of steps.entries()) {
      const version = i + 1;
      if (done.has(version)) continue;
      await client.query(sql);
      await client.query(`INSERT INTO ${s}.migrations (version) VALUES ($1)`, [version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
