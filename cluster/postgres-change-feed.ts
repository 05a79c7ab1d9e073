import pg from 'pg';
import type { Logger } from '../lib/logger.js';

export type ChangeTopic = 'kv' | 'outbox' | 'lease';

interface Notice {
  /** Topic. */
  t: ChangeTopic;
  /** Key that changed. */
  k: string;
  /** Instance that changed it. */
  i: string;
}

export interface PostgresChangeFeedOptions {
  url: string;
  schema: string;
  instanceId: string;
  logger: Logger;
}

/**
 * Which rows other instances changed, over one LISTEN session per instance: writers add
 * `pg_notify` to their statement (so a notice goes out exactly when the change commits) and
 * every other instance hears it. A lost session is reopened; while it is down, listeners are
 * told `*` once it is back, so they drop everything they cached.
 */
export class PostgresChangeFeed {
  readonly #options: PostgresChangeFeedOptions;
  readonly #channel: string;
  readonly #listeners = new Map<ChangeTopic, Set<(key: string) => void>>();
  #client?: pg.Client;
  #closed = false;
  #retry?: NodeJS.Timeout;

  constructor(options: PostgresChangeFeedOptions) {
    this.#options = options;
    this.#channel = `clawgate_${options.schema}`;
  }

  /** SQL for a notice about the row whose key is `keyParam`, from inside a write statement. */
  notifySql(topic: ChangeTopic, keyParam: string): string {
    const instance = this.#options.instanceId.replace(/'/g, "''");
    return `pg_notify('${this.#channel}', json_build_object('t', '${topic}', 'k', ${keyParam}::text, 'i', '${instance}')::text)`;
  }

  on(topic: ChangeTopic, listener: (key: string) => void): () => void {
    let set = this.#listeners.get(topic);
    if (!set) this.#listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, new Error('connection ended')));
    client.on('notification', (msg) => this.#dispatch(msg.payload));
    await client.connect();
    await client.query(`LISTEN ${this.#channel}`);
    this.#client = client;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #dispatch(payload: string | undefined): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload ?? '') as Notice;
    } catch {
      return;
    }
    if (notice.i === this.#options.instanceId) return;
    this.#emit(notice.t, notice.k);
  }

  #emit(topic: ChangeTopic, key: string): void {
    for (const listener of [...(this.#listeners.get(topic) ?? [])]) {
      try {
        listener(key);
      } catch (err) {
        this.#options.logger.log('error', 'cluster', `change listener failed: ${(err as Error).message}`);
      }
    }
  }

  #lost(client: pg.Client, err: Error): void {
    if (this.#client !== client || this.#closed) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    this.#options.logger.log('warn', 'cluster', `change feed lost (${err.message}); reconnecting`);
    const reconnect = (): void => {
      if (this.#closed) return;
      this.start().then(
        () => {
          // Whatever changed while we were deaf: every cache starts over.
          for (const topic of this.#listeners.keys()) this.#emit(topic, '*');
        },
        () => {
          this.#retry = setTimeout(reconnect, 1000);
          this.#retry.unref();
        },
      );
    };
    this.#retry = setTimeout(reconnect, 250);
    this.#retry.unref();
  }
}
