import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// The package refers to itself by name from inside its own directory, as a consumer would.
const require = createRequire(import.meta.url);

describe('ESM only', () => {
  it('require() of any entry gets a readable error saying to use import, not a resolver failure', () => {
    for (const entry of ['openclaw', 'openclaw/client', 'openclaw/runtime', 'openclaw/client/stdio', 'openclaw/transports/ws']) {
      expect(() => require(entry), entry).toThrow(/openclaw is an ES module package: load it with import/);
    }
  });
});
