import type { Storage } from '../storage.js';

/** The trigger words a fresh install listens for (what a seed-era gateway answers before any set). */
export const DEFAULT_VOICEWAKE_TRIGGERS: readonly string[] = ['openclaw', 'claude', 'computer'];

const KEY = 'settings/voicewake.json';
const MAX_TRIGGERS = 32;
const MAX_TRIGGER_CHARS = 64;

/**
 * The voice-wake trigger words shared by every device (`voicewake.get|set`), kept in
 * `<state>/settings/voicewake.json` and written atomically.
 */
export class VoicewakeStore {
  readonly #storage: Storage;
  readonly #now: () => number;
  #triggers: string[] = [...DEFAULT_VOICEWAKE_TRIGGERS];

  constructor(storage: Storage, now: () => number) {
    this.#storage = storage;
    this.#now = now;
  }

  /** Reads the saved list; a damaged file keeps the defaults and is reported (the next `set` replaces it). */
  async load(): Promise<string | undefined> {
    const raw = await this.#storage.read(KEY);
    if (raw === undefined) return undefined;
    let parsed: { triggers?: unknown };
    try {
      parsed = JSON.parse(raw) as { triggers?: unknown };
    } catch (err) {
      return `voice-wake triggers unreadable (${(err as Error).message}); using the defaults until they are set again`;
    }
    if (Array.isArray(parsed.triggers)) this.#triggers = normalizeTriggers(parsed.triggers);
    return undefined;
  }

  get triggers(): string[] {
    return [...this.#triggers];
  }

  /** Saves the new list; an empty one means the defaults again. */
  async set(triggers: readonly unknown[]): Promise<string[]> {
    const next = normalizeTriggers(triggers);
    await this.#storage.write(KEY, `${JSON.stringify({ triggers: next, updatedAtMs: this.#now() }, null, 2)}\n`);
    this.#triggers = next;
    return this.triggers;
  }
}

/** Trimmed, non-empty, unique strings; at most 32 of 64 characters each; none left means the defaults. */
export function normalizeTriggers(triggers: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const t of triggers) {
    if (typeof t !== 'string') continue;
    const word = t.trim().slice(0, MAX_TRIGGER_CHARS);
    if (word && !out.includes(word)) out.push(word);
    if (out.length === MAX_TRIGGERS) break;
  }
  return out.length ? out : [...DEFAULT_VOICEWAKE_TRIGGERS];
}
