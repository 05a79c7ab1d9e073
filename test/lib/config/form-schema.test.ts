import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import JSON5 from 'json5';
import { describe, expect, it } from 'vitest';
import { ConfigManager } from '../../../lib/config/config-manager.js';
import { dereferenceSchema } from '../../../lib/config/dereference-schema.js';
import { formSchema } from '../../../lib/config/form-schema.js';
import { configPlugin } from '../../../lib/plugins/config-plugin.js';
import { createAjv } from '../../../lib/protocol/create-ajv.js';
import { configSchema } from '../../../lib/protocol/generated/config-schema.js';
import { connectParams, handshake } from '../../helpers/connect.js';
import { callOk, openMemoryPeer } from '../../helpers/memory-peer.js';
import { createTestGateway } from '../../transports/contract.js';

type Node = Record<string, any>;
const ANY = ['string', 'number', 'boolean', 'object', 'array', 'null'];
const FIXTURES = join(import.meta.dirname, 'fixtures');

/**
 * What a field-by-field form (the seed-era dashboard's) can render, from how it behaves: a union
 * only of constants, of one branch (plus null), or of primitive types; every other node has a
 * type (objects may imply theirs by properties); a map's values and an array's items must be
 * renderable; `additionalProperties: true` is not.
 */
function unrenderable(node: Node, path = '<root>'): string[] {
  const union = node.anyOf ?? node.oneOf;
  if (node.allOf) return [path];
  if (union) {
    const rest = (union as Node[]).filter((b) => b.type !== 'null' && !('const' in b) && !Array.isArray(b.enum));
    const literals = (union as Node[]).some((b) => 'const' in b || Array.isArray(b.enum));
    if (rest.length === 0) return [];
    if (rest.length === 1) return unrenderable(rest[0]!, path);
    if (!literals && rest.every((b) => ['string', 'number', 'integer', 'boolean'].includes(b.type))) return [];
    return [path];
  }
  const types = Array.isArray(node.type) ? node.type.filter((t: string) => t !== 'null') : [node.type];
  const type = types[0] ?? (node.properties || node.additionalProperties ? 'object' : undefined);
  if (type === 'object') {
    const out = Object.entries((node.properties ?? {}) as Record<string, Node>).flatMap(([k, v]) => unrenderable(v, `${path}.${k}`));
    if (node.additionalProperties === true) out.push(path);
    else if (typeof node.additionalProperties === 'object' && unrenderable(node.additionalProperties, `${path}.*`).length > 0) out.push(path);
    return out;
  }
  if (type === 'array') return !node.items || unrenderable(node.items, `${path}.*`).length > 0 ? [path] : [];
  return ['string', 'number', 'integer', 'boolean'].includes(type) || node.enum ? [] : [path];
}

describe('formSchema', () => {
  it('merges a union of different types into one node with a type list, primitive first', () => {
    const model = {
      description: 'Model',
      anyOf: [
        { type: 'object', properties: { primary: { type: 'string' } }, additionalProperties: false, required: ['primary'] },
        { type: 'string', minLength: 1 },
      ],
    };
    expect(formSchema(model)).toEqual({
      description: 'Model',
      type: ['string', 'object'],
      minLength: 1,
      properties: { primary: { type: 'string' } },
      additionalProperties: false,
      required: ['primary'],
    });
  });

  it('folds allOf parts that do not disagree, and keeps the ones that do', () => {
    expect(formSchema({ description: 'Token', allOf: [{ description: 'A secret', anyOf: [{ type: 'string' }, { type: 'number' }] }] })).toEqual({
      description: 'Token',
      anyOf: [{ type: 'string' }, { type: 'number' }],
    });
    expect(formSchema({ type: 'string', allOf: [{ minLength: 1 }, { type: 'number' }] })).toEqual({ type: 'string', minLength: 1, allOf: [{ type: 'number' }] });
  });

  it('names every type where anything goes: untyped nodes, arrays without items, additionalProperties true', () => {
    expect(formSchema({ 'x-unused': true })).toEqual({ 'x-unused': true, type: ANY });
    expect(formSchema({ type: 'array' })).toEqual({ type: 'array', items: { type: ANY } });
    expect(formSchema({ type: 'object', additionalProperties: true })).toEqual({ type: 'object', additionalProperties: { type: ANY } });
  });

  it('leaves what forms render already, and unions it cannot merge without changing their meaning', () => {
    const literals = { anyOf: [{ const: 'a' }, { const: 'b' }] };
    const nullable = { anyOf: [{ type: 'string' }, { type: 'null' }] };
    const sameType = { anyOf: [{ type: 'object', required: ['a'] }, { type: 'object', required: ['b'] }] };
    const clash = { anyOf: [{ type: 'string', description: 'x' }, { type: 'object', enum: [{}] }] };
    for (const schema of [literals, nullable, sameType, clash]) expect(formSchema(schema)).toEqual(schema);
  });

  it('leaves nothing in the config schema that a field-by-field form cannot render', () => {
    const full = dereferenceSchema(configSchema as unknown as Node);
    expect(unrenderable(full).length).toBeGreaterThan(0);
    expect(unrenderable(formSchema(full))).toEqual([]);
  });

  it('accepts and refuses exactly the config documents the full schema does', async () => {
    const full = dereferenceSchema(configSchema as unknown as Node);
    const ajv = createAjv({ strict: false });
    const before = ajv.compile(full);
    const after = ajv.compile(formSchema(full));
    const docs: unknown[] = [
      {},
      { agents: { defaults: { model: 'local/demo' } } },
      { agents: { defaults: { model: { primary: 'local/demo', fallbacks: ['b/c'] } } } },
      { agents: { defaults: { model: { primary: 3 } } } },
      { agents: { defaults: { model: 7 } } },
      { gateway: { auth: { token: 'secret' } } },
      { gateway: { auth: { token: { source: 'env', provider: 'default', id: 'GW_TOKEN' } } } },
      { gateway: { auth: { token: { source: 'nowhere' } } } },
      { gateway: { auth: { token: ['x'] } } },
      { gateway: { port: 'eighty' } },
      { channels: { whatsapp: { mentionPatterns: ['bot'] } } },
      { channels: { whatsapp: { mentionPatterns: 'bot' } } },
      { channels: { telegram: { accounts: { work: { botToken: 'x', groups: { '*': { requireMention: false } } } } } } },
      { channels: { telegram: { accounts: { work: { groups: { '*': { requireMention: 'no' } } } } } } },
      { commands: { native: 'auto' } },
      { hooks: { mappings: [{ id: 'a', match: { path: 'x' }, whatever: [1] }] } },
      { tools: { alsoAllow: ['exec', 1] } },
      { bindings: [{ agentId: 'main' }] },
      { unknownTopLevelKey: true },
    ];
    for (const name of ['seed-onboard.json5', 'today.json5', 'old-dialect.json5']) docs.push(JSON5.parse(await readFile(join(FIXTURES, name), 'utf8')));
    const verdicts = docs.map((doc) => [before(doc), after(doc)]);
    for (const [i, [a, b]] of verdicts.entries()) expect({ doc: docs[i], valid: b }).toEqual({ doc: docs[i], valid: a });
    // Both verdicts occur, so the comparison means something.
    expect(new Set(verdicts.map(([a]) => a))).toEqual(new Set([true, false]));
  });
});

describe('config.schema by protocol', () => {
  it('answers seed-era (protocol 3) clients with the form-ready schema and v4 clients with the unions as written', async () => {
    const gateway = createTestGateway();
    gateway.use(configPlugin(new ConfigManager({ path: join(FIXTURES, 'today.json5'), env: {}, stateDir: FIXTURES })));
    await gateway.start();
    try {
      const seed = openMemoryPeer(gateway);
      expect((await handshake(seed, () => connectParams())).ok).toBe(true);
      const v4 = openMemoryPeer(gateway);
      expect((await handshake(v4, () => connectParams({ maxProtocol: 4 }))).ok).toBe(true);
      const seedSchema = (await callOk(seed, 'config.schema', {})).schema as Node;
      const v4Schema = (await callOk(v4, 'config.schema', {})).schema as Node;
      expect(unrenderable(seedSchema)).toEqual([]);
      expect(seedSchema.properties.agents.properties.defaults.properties.model.type).toEqual(['string', 'object']);
      expect(v4Schema.properties.agents.properties.defaults.properties.model.anyOf).toHaveLength(2);
      expect((await callOk(seed, 'config.schema', {})).uiHints['gateway.auth.token'].sensitive).toBe(true);
    } finally {
      await gateway.close();
    }
  });
});
