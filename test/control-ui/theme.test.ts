import { describe, expect, it } from 'vitest';
import { ThemeSetting } from '../../control-ui/app/theme.js';

/** A media query whose answer the test flips, telling its listeners as a browser would. */
function darkQuery(matches: boolean) {
  const listeners: (() => void)[] = [];
  const query = {
    matches,
    addEventListener: (_: string, listener: () => void) => listeners.push(listener),
    flip(to: boolean) {
      query.matches = to;
      for (const listener of listeners) listener();
    },
  };
  return query;
}

function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (key) => map.get(key) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (key) => void map.delete(key),
    setItem: (key, value) => void map.set(key, value),
  };
}

function setup(options: { dark: boolean; storage?: Storage }) {
  const root = { dataset: {} as Record<string, string> };
  const query = darkQuery(options.dark);
  const storage = options.storage ?? memoryStorage();
  const theme = new ThemeSetting({ storage, root: root as unknown as HTMLElement, darkQuery: query as unknown as MediaQueryList });
  theme.apply();
  return { root, query, storage, theme };
}

describe('ThemeSetting', () => {
  it('follows the system until a theme is picked, and live when the system changes', () => {
    const { root, query } = setup({ dark: true });
    expect(root.dataset.theme).toBe('dark');
    query.flip(false);
    expect(root.dataset.theme).toBe('light');
  });

  it('a picked theme wins over the system, is remembered, and "system" forgets it', () => {
    const first = setup({ dark: false });
    first.theme.choose('dark');
    expect(first.root.dataset.theme).toBe('dark');
    first.query.flip(true);
    first.query.flip(false);
    expect(first.root.dataset.theme).toBe('dark');

    const again = setup({ dark: false, storage: first.storage });
    expect(again.root.dataset.theme).toBe('dark');
    again.theme.choose('system');
    expect(again.root.dataset.theme).toBe('light');
    expect(setup({ dark: true, storage: first.storage }).root.dataset.theme).toBe('dark');
    expect(first.storage.length).toBe(0);
  });

  it('a storage that refuses writes or holds junk leaves the theme working for the page', () => {
    const refusing = { ...memoryStorage(), getItem: () => 'purple', setItem: () => { throw new Error('QuotaExceededError'); } } as Storage;
    const { root, theme } = setup({ dark: true, storage: refusing });
    expect(root.dataset.theme).toBe('dark');
    theme.choose('light');
    expect(root.dataset.theme).toBe('light');
  });
});
