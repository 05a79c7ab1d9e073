import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// The package refers to itself by name from inside its own directory, as a consumer would.
const require = createRequire(import.meta.url);

describe('ESM only', () => {
  it('require() of any entry gets a readable error saying to use import, not a resolver failure', () => {
    for (const entry of ['clawgate', 'clawgate/client', 'clawgate/protocol', 'clawgate/client/stdio', 'clawgate/transports/ws']) {
      expect(() => require(entry), entry).toThrow(/clawgate is an ES module package: load it with import/);
    }
  });
});
