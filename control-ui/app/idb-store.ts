const DB_NAME = 'openclaw-control-ui';
const STORE = 'kv';

/**
 * A one-table key/value store in IndexedDB. Values are structured-cloned, so non-extractable
 * CryptoKeys survive reloads without their private half ever being readable by script.
 */
export class IdbStore {
  readonly #db: Promise<IDBDatabase>;

  constructor(indexedDb: IDBFactory = indexedDB) {
    this.#db = new Promise((resolve, reject) => {
      const open = indexedDb.open(DB_NAME, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error ?? new Error('IndexedDB open failed'));
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#run<T | undefined>('readonly', (store) => store.get(key));
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#run('readwrite', (store) => store.put(value, key));
  }

  async #run<T>(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await this.#db;
    return new Promise<T>((resolve, reject) => {
      const request = op(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  }
}
