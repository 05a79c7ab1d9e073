import { h } from './dom.js';

export type ThemeChoice = 'system' | 'light' | 'dark';

const STORAGE_KEY = 'openclaw.controlUi.theme';
const CHOICES: [ThemeChoice, string][] = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

export interface ThemeSettingOptions {
  storage?: Storage;
  root?: HTMLElement;
  /** `matchMedia('(prefers-color-scheme: dark)')`, injectable for tests. */
  darkQuery?: MediaQueryList;
}

/**
 * Light or dark: the system's preference until the user picks one in the header, which this
 * browser then remembers. The resolved theme goes on <html data-theme>, where the stylesheet's
 * custom properties (and every view's rules built on them) pick it up.
 */
export class ThemeSetting {
  readonly #storage: Storage | undefined;
  readonly #root: HTMLElement;
  readonly #dark: MediaQueryList;
  #choice: ThemeChoice;

  constructor(options: ThemeSettingOptions = {}) {
    this.#storage = options.storage ?? safeLocalStorage();
    this.#root = options.root ?? document.documentElement;
    this.#dark = options.darkQuery ?? matchMedia('(prefers-color-scheme: dark)');
    const stored = this.#read();
    this.#choice = stored === 'light' || stored === 'dark' ? stored : 'system';
    this.#dark.addEventListener('change', () => this.apply());
  }

  /** The theme in force: the choice, or the system's when the choice is "system". */
  get resolved(): 'light' | 'dark' {
    return this.#choice === 'system' ? (this.#dark.matches ? 'dark' : 'light') : this.#choice;
  }

  apply(): void {
    this.#root.dataset.theme = this.resolved;
  }

  choose(choice: ThemeChoice): void {
    this.#choice = choice;
    try {
      if (choice === 'system') this.#storage?.removeItem(STORAGE_KEY);
      else this.#storage?.setItem(STORAGE_KEY, choice);
    } catch {
      // Storage refused (full, or blocked for this site): the choice holds for this page only.
    }
    this.apply();
  }

  /** The header's theme picker. */
  control(): HTMLElement {
    const select = h('select', { id: 'theme-select', class: 'theme-select' });
    for (const [value, label] of CHOICES) select.append(h('option', { value, selected: value === this.#choice }, label));
    select.addEventListener('change', () => this.choose(select.value as ThemeChoice));
    return h('span', { class: 'theme-picker' }, h('label', { for: 'theme-select' }, 'Theme'), select);
  }

  #read(): string | null {
    try {
      return this.#storage?.getItem(STORAGE_KEY) ?? null;
    } catch {
      return null;
    }
  }
}

/** localStorage, or undefined where the browser blocks it (reading the property itself can throw). */
function safeLocalStorage(): Storage | undefined {
  try {
    return localStorage;
  } catch {
    return undefined;
  }
}
