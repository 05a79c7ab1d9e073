import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../scripts/protocol-gen.js';

describe('generated protocol code', () => {
  it('matches what `npm run protocol:gen` produces from schema/', async () => {
    const files = await generate();
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(3);
    for (const [rel, text] of Object.entries(files)) {
      const committed = await readFile(join(import.meta.dirname, '../..', rel), 'utf8');
      expect(committed, `${rel} is stale: run npm run protocol:gen`).toBe(text);
    }
  });
});
