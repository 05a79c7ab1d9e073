import { BufferJSON, initAuthCreds, proto, type AuthenticationCreds, type AuthenticationState, type SignalDataSet, type SignalDataTypeMap } from '@whiskeysockets/baileys';
import { FileStorage } from '../lib/file-storage.js';
import { silentLogger, type Logger } from '../lib/logger.js';

const CREDS = 'creds.json';
const BACKUP = 'creds.json.bak';
const SUBSYSTEM = 'channels/whatsapp';

/**
 * A WhatsApp account's Baileys auth state in its directory, in the layout of Baileys'
 * `useMultiFileAuthState` (`creds.json`, one `<type>-<id>.json` per signal key), so existing links
 * keep working, but written the way FileStorage writes: temp file, fsync, rename, mode 0600. A
 * crash mid-write leaves the previous file whole (Baileys writes in place, and a torn creds.json
 * unlinks the account). Before creds.json is replaced, its previous version goes to
 * creds.json.bak, which a creds.json that does not parse is restored from at load.
 */
export class WhatsAppAuthStore {
  readonly state: AuthenticationState;
  readonly #files: FileStorage;
  readonly #logger: Logger;
  /** creds.json as last read or written: the next backup, and what needs no rewrite. */
  #saved?: string;

  private constructor(files: FileStorage, creds: AuthenticationCreds, saved: string | undefined, logger: Logger) {
    this.#files = files;
    this.#logger = logger;
    this.#saved = saved;
    this.state = {
      creds,
      keys: {
        get: (type, ids) => this.#getKeys(type, ids),
        set: (data) => this.#setKeys(data),
      },
    };
  }

  /** Reads the directory's credentials (fresh, unlinked ones when there are none). */
  static async open(dir: string, logger: Logger = silentLogger): Promise<WhatsAppAuthStore> {
    const files = new FileStorage(dir);
    const text = await files.read(CREDS);
    if (text === undefined) return new WhatsAppAuthStore(files, initAuthCreds(), undefined, logger);
    const creds = parseCreds(text);
    if (creds) return new WhatsAppAuthStore(files, creds, text, logger);
    const backup = await files.read(BACKUP);
    const restored = backup === undefined ? undefined : parseCreds(backup);
    if (!restored || backup === undefined) {
      logger.log('error', SUBSYSTEM, `${files.locate(CREDS)} is unreadable and there is no usable ${BACKUP}; link the account again (openclaw channels login --channel whatsapp)`);
      return new WhatsAppAuthStore(files, initAuthCreds(), undefined, logger);
    }
    logger.log('warn', SUBSYSTEM, `${files.locate(CREDS)} is unreadable; restored the previous version from ${BACKUP}`);
    await files.write(CREDS, backup);
    return new WhatsAppAuthStore(files, restored, backup, logger);
  }

  /** Writes `state.creds` (Baileys' `creds.update` changed it), keeping the version it replaces. */
  async saveCreds(): Promise<void> {
    const text = JSON.stringify(this.state.creds, BufferJSON.replacer);
    if (text === this.#saved) return;
    if (this.#saved !== undefined) await this.#files.write(BACKUP, this.#saved);
    await this.#files.write(CREDS, text);
    this.#saved = text;
  }

  async #getKeys<T extends keyof SignalDataTypeMap>(type: T, ids: string[]): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    const out: { [id: string]: SignalDataTypeMap[T] } = {};
    await Promise.all(
      ids.map(async (id) => {
        const file = keyFile(type, id);
        const text = await this.#files.read(file);
        if (text === undefined) return;
        let value: unknown;
        try {
          value = JSON.parse(text, BufferJSON.reviver);
        } catch {
          // Like a missing key: Baileys negotiates a new one.
          this.#logger.log('warn', SUBSYSTEM, `ignoring unreadable key file ${file}`);
          return;
        }
        if (type === 'app-state-sync-key' && value) value = proto.Message.AppStateSyncKeyData.fromObject(value as object);
        out[id] = value as SignalDataTypeMap[T];
      }),
    );
    return out;
  }

  async #setKeys(data: SignalDataSet): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const [type, values] of Object.entries(data) as Array<[string, Record<string, unknown> | undefined]>) {
      for (const [id, value] of Object.entries(values ?? {})) {
        const file = keyFile(type, id);
        writes.push(value ? this.#files.write(file, JSON.stringify(value, BufferJSON.replacer)) : this.#files.remove(file));
      }
    }
    await Promise.all(writes);
  }
}

/** Baileys' file name for a key (`/` and `:` are not file-name safe). */
function keyFile(type: string, id: string): string {
  return `${type}-${id}.json`.replace(/\//g, '__').replace(/:/g, '-');
}

/** Credentials, or undefined for a torn or foreign file. */
function parseCreds(text: string): AuthenticationCreds | undefined {
  try {
    const value = JSON.parse(text, BufferJSON.reviver) as Partial<AuthenticationCreds> | null;
    return value && typeof value === 'object' && value.noiseKey && value.signedIdentityKey ? (value as AuthenticationCreds) : undefined;
  } catch {
    return undefined;
  }
}
