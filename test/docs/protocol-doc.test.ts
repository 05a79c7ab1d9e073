import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { methodSpecs, eventSpecs } from '../../lib/protocol/generated/specs.js';
import { DOC_PATH, renderTables, updateProtocolDoc } from '../../scripts/protocol-doc.js';

describe('docs/protocol.md', () => {
  it('has the method and event tables scripts/protocol-doc.ts generates from the schema', async () => {
    const doc = await readFile(DOC_PATH, 'utf8');
    expect(doc, 'docs/protocol.md is stale: run npx tsx scripts/protocol-doc.ts').toBe(updateProtocolDoc(doc));
  });

  it('lists every method and event of the schema', () => {
    const tables = renderTables();
    for (const name of [...Object.keys(methodSpecs), ...Object.keys(eventSpecs)]) expect(tables).toContain(`| \`${name}\` |`);
  });

  it('refuses a page without the markers', () => {
    expect(() => updateProtocolDoc('# no markers\n')).toThrow(/markers/);
  });
});
