import { clusterConfig } from '../lib/config/own-settings.js';
import type { OpenClawConfig } from '../lib/config/index.js';
import { loadOptional } from '../runtime/optional-package.js';

/** A `doctor` check (the shape of `ClusterCheck`, id `cluster`). */
export interface ClusterCheck {
  id: 'cluster';
  status: 'ok' | 'warn' | 'error';
  message: string;
  hint?: string;
  details?: string[];
}

const PROBE_TIMEOUT_MS = 5_000;

/**
 * `doctor` for a cluster (`plugins.entries.clawgate.config.cluster`): is PostgreSQL reachable with
 * the configured URL, and is NATS reachable with JetStream on and the tenant's stream there. Only
 * probes (a query, a stream lookup): it creates and migrates nothing. No checks without a cluster.
 */
export async function checkCluster(config: OpenClawConfig): Promise<ClusterCheck[]> {
  const settings = clusterConfig(config);
  if (!settings) return [];
  const checks: ClusterCheck[] = [];
  if (settings.postgres) checks.push(await checkPostgres(settings.postgres.url, settings.postgres.schema ?? 'clawgate'));
  if (settings.nats) checks.push(await checkNats(settings.nats.url, settings.nats.stream ?? 'CLAWGATE'));
  if (!settings.postgres && !settings.nats) {
    checks.push({ id: 'cluster', status: 'warn', message: 'cluster is set without postgres or nats: the instances share nothing', hint: 'add cluster.postgres.url and cluster.nats.url (docs/cluster.md)' });
  }
  return checks;
}

async function checkPostgres(url: string, schema: string): Promise<ClusterCheck> {
  try {
    const { default: pg } = await loadOptional('The cluster store (cluster.postgres)', () => import('pg'));
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    try {
      const started = performance.now();
      await client.connect();
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
      const ms = Math.round(performance.now() - started);
      const tables = Number(rows[0]?.n ?? 0);
      return { id: 'cluster', status: 'ok', message: `PostgreSQL reachable (${ms} ms); schema ${schema} ${tables ? `has ${tables} tables` : 'is empty (the first gateway creates the tables)'}` };
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    return { id: 'cluster', status: 'error', message: `PostgreSQL unreachable: ${(err as Error).message}`, hint: 'check cluster.postgres.url and that the server accepts this host' };
  }
}

async function checkNats(url: string, stream: string): Promise<ClusterCheck> {
  try {
    const nats = await loadOptional('The cluster event bus (cluster.nats)', () => import('nats'));
    const nc = await nats.connect({ servers: url.split(',').map((s) => s.trim()).filter(Boolean), timeout: PROBE_TIMEOUT_MS, maxReconnectAttempts: 0, name: 'clawgate doctor' });
    try {
      const ms = Math.round(await nc.rtt());
      const jsm = await nc.jetstreamManager().catch((err: Error) => {
        throw new Error(`JetStream is not available (${err.message}): start nats-server with -js`);
      });
      const info = await jsm.streams.info(stream).catch(() => undefined);
      return info
        ? { id: 'cluster', status: 'ok', message: `NATS reachable (${ms} ms), JetStream on; stream ${stream} holds ${info.state.messages} events (last ${info.state.last_seq})` }
        : { id: 'cluster', status: 'ok', message: `NATS reachable (${ms} ms), JetStream on; stream ${stream} not created yet (the first gateway creates it)` };
    } finally {
      await nc.close().catch(() => undefined);
    }
  } catch (err) {
    return { id: 'cluster', status: 'error', message: `NATS: ${(err as Error).message}`, hint: 'check cluster.nats.url and that nats-server runs with JetStream (-js)' };
  }
}
