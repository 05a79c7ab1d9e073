import { describe, expect, it } from 'vitest';
import { diffConfig, displayValue, mergePatch, REDACTED, setValueAt, type JsonObject } from '../../../control-ui/app/views/config/config-diff.js';
import { classify, emptyValue, resolveNode, type FieldKind, type SchemaNode } from '../../../control-ui/app/views/config/schema-node.js';
import { ConfigManager } from '../../../lib/config/config-manager.js';
import { applyMergePatch } from '../../../lib/config/merge-patch.js';
import { HAS_SEED_REFERENCE, seedReference } from '../../helpers/seed-reference.js';

const noHints = () => false;

/** Every node of a schema as the form classifies it, by dotted path. */
function kinds(schema: SchemaNode): Map<string, FieldKind['kind']> {
  const out = new Map<string, FieldKind['kind']>();
  const walk = (node: SchemaNode, path: string) => {
    const kind = classify(node, schema);
    out.set(path, kind.kind);
    if (kind.kind === 'object') for (const [k, child] of kind.properties) walk(child, path ? `${path}.${k}` : k);
    if (kind.kind === 'map') walk(kind.values, `${path}.*`);
    if (kind.kind === 'array') walk(kind.items, `${path}[]`);
  };
  walk(resolveNode(schema, schema), '');
  return out;
}

describe('config form: schema nodes', () => {
  it('resolves $ref into definitions and folds allOf, keywords beside the reference winning', () => {
    const root: SchemaNode = {
      definitions: { port: { type: 'integer', minimum: 1, maximum: 65535, description: 'A port.' }, secret: { anyOf: [{ type: 'string' }, { type: 'object', properties: { id: { type: 'string' } } }] } },
      type: 'object',
      properties: { port: { $ref: '#/definitions/port', description: 'Listen port.' }, token: { allOf: [{ $ref: '#/definitions/secret' }], description: 'Token.' } },
    };
    const port = resolveNode((root.properties as Record<string, unknown>).port, root);
    expect(port.description).toBe('Listen port.');
    expect(classify(port, root)).toEqual({ kind: 'number', integer: true, min: 1, max: 65535 });
    const token = resolveNode((root.properties as Record<string, unknown>).token, root);
    expect(classify(token, root).kind).toBe('choice');
  });

  it('a reference cycle stops instead of looping', () => {
    const root: SchemaNode = { definitions: { node: { type: 'object', properties: { child: { $ref: '#/definitions/node' } } } }, $ref: '#/definitions/node' };
    const node = resolveNode(root, root);
    const child = classify(node, root);
    expect(child.kind).toBe('object');
  });

  it('classifies enums, constants, booleans, maps, lists and mixed scalars, and makes empty values', () => {
    const root: SchemaNode = {};
    expect(classify({ type: 'string', enum: ['a', 'b'] }, root)).toEqual({ kind: 'enum', options: ['a', 'b'] });
    expect(classify({ anyOf: [{ const: 'x' }, { const: 'y' }] }, root)).toEqual({ kind: 'enum', options: ['x', 'y'] });
    expect(classify({ type: 'boolean' }, root).kind).toBe('boolean');
    expect(classify({ type: 'object', additionalProperties: { type: 'string' } }, root).kind).toBe('map');
    expect(classify({ type: 'array', items: { type: 'string' } }, root).kind).toBe('array');
    expect(classify({ type: ['string', 'number'] }, root)).toEqual({ kind: 'scalar', types: ['string', 'number'] });
    expect(classify({}, root).kind).toBe('json');
    expect(emptyValue({ type: 'integer', minimum: 5 }, root)).toBe(5);
    expect(emptyValue({ type: 'object', properties: {} }, root)).toEqual({});
    expect(emptyValue({ type: 'string' }, root, { itemTemplate: 'https://' })).toBe('https://');
  });

  it("draws our gateway's config schema with no field left to raw JSON except the ones without a type", async () => {
    const { schema } = await new ConfigManager({ path: '/nonexistent/openclaw.json' }).schema();
    const all = kinds(schema);
    expect(all.get('gateway.port')).toBe('number');
    expect(all.get('gateway.mode')).toBe('enum');
    expect(all.get('gateway.auth.token')).toBe('choice');
    expect(all.get('models.providers')).toBe('map');
    expect(all.get('gateway.controlUi.allowedOrigins')).toBe('array');
    const json = [...all].filter(([, k]) => k === 'json').map(([p]) => p);
    // Only nodes that declare nothing (accepted-but-unused keys, free-form plugin config) fall back to JSON.
    for (const path of json) expect(Object.keys(pathNode(schema, path)).filter((k) => !['description', 'x-unused', 'x-legacy'].includes(k)), path).toEqual([]);
  });

  it.skipIf(!HAS_SEED_REFERENCE)("draws upstream's seed-era config schema (the one its own UI renders) without failing on any node", () => {
    const { schema } = seedReference<{ schema: SchemaNode }>('config.schema.json')!;
    const all = kinds(schema);
    expect(all.size).toBeGreaterThan(300);
    expect(all.get('gateway.port')).toBe('number');
  });
});

function pathNode(schema: SchemaNode, path: string): SchemaNode {
  let node = resolveNode(schema, schema);
  for (const part of path.split(/\.|(?=\[\])/).filter(Boolean)) {
    if (part === '[]') node = resolveNode(node.items, schema);
    else if (part === '*') node = resolveNode(node.additionalProperties, schema);
    else node = resolveNode((node.properties as Record<string, unknown>)[part], schema);
  }
  return node;
}

describe('config form: diff and patch', () => {
  const base: JsonObject = { gateway: { auth: { token: REDACTED }, port: 18789 }, logging: { level: 'info' }, env: { OPENAI_API_KEY: REDACTED } };

  it('lists changed settings leaf by leaf, new objects too, and masks secrets on both sides', () => {
    const next = structuredClone(base);
    setValueAt(next, ['gateway', 'port'], 18790);
    setValueAt(next, ['logging', 'level'], undefined);
    setValueAt(next, ['models', 'providers', 'local', 'apiKey'], 'sk-secret');
    setValueAt(next, ['env', 'OPENAI_API_KEY'], 'sk-other');
    const changes = diffConfig(base, next, noHints);
    expect(changes.map((c) => [c.path.join('.'), displayValue(c.before, c.sensitive), displayValue(c.after, c.sensitive)])).toEqual([
      ['gateway.port', '18789', '18790'],
      ['logging.level', '"info"', '(not set)'],
      ['env.OPENAI_API_KEY', '•••••• (stored)', '••••••'],
      ['models.providers.local.apiKey', '(not set)', '••••••'],
    ]);
  });

  it('hinted secrets are masked whatever their key is called', () => {
    const changes = diffConfig({ a: { pin: '1234' } }, { a: { pin: '9999' } }, (path) => path.join('.') === 'a.pin');
    expect(changes[0]!.sensitive).toBe(true);
  });

  it('the merge patch turns the loaded config into the edited one and leaves untouched secrets out', () => {
    const next = structuredClone(base);
    setValueAt(next, ['gateway', 'port'], 1);
    setValueAt(next, ['logging', 'level'], undefined);
    setValueAt(next, ['hooks'], { enabled: true });
    const patch = mergePatch(base, next);
    expect(patch).toEqual({ gateway: { port: 1 }, logging: { level: null }, hooks: { enabled: true } });
    expect(JSON.stringify(patch)).not.toContain(REDACTED);
    expect(applyMergePatch(base, patch)).toEqual({ ...next, logging: {} });
  });

  it('setValueAt makes missing objects, and removes list items by splicing', () => {
    const value: JsonObject = { list: ['a', 'b', 'c'] };
    setValueAt(value, ['list', '1'], undefined);
    setValueAt(value, ['deep', 'er', 'key'], 1);
    expect(value).toEqual({ list: ['a', 'c'], deep: { er: { key: 1 } } });
  });
});
