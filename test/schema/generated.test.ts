import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
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
    // A config section that lost its module (or the old single validator) must not linger.
    for (const dir of ['lib/protocol/generated', 'lib/protocol/generated/config-validator']) {
      const present = (await readdir(join(import.meta.dirname, '../..', dir), { withFileTypes: true })).filter((e) => e.isFile()).map((e) => `${dir}/${e.name}`);
      expect(present.filter((rel) => !(rel in files)), 'not generated any more: delete').toEqual([]);
    }
  });
});

describe('schema/protocol.schema.json', () => {
  it('is self-contained: every $ref points at one of its own definitions, and a plain AJV validates frames with it', async () => {
    const bundle = JSON.parse(await readFile(join(import.meta.dirname, '../../schema/protocol.schema.json'), 'utf8'));
    const refs = [...JSON.stringify(bundle).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(50);
    const dangling = refs.filter((ref) => !ref.startsWith('#/definitions/') || !(ref.slice('#/definitions/'.length) in bundle.definitions));
    expect(dangling).toEqual([]);

    const ajv = new Ajv({ strict: false, schemas: [bundle] });
    const connect = ajv.getSchema('openclaw-protocol#/definitions/ConnectParams')!;
    expect(connect({ minProtocol: 3, maxProtocol: 4, client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli' } })).toBe(true);
    expect(connect({ minProtocol: 3, maxProtocol: 4, client: { id: 'cli', version: '1', platform: 'linux', mode: 'cli' }, extra: 1 })).toBe(false);
    expect(Object.keys(bundle['x-methods'])).toContain('agent');
  });
});
