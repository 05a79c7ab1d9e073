import { isPlainObject } from './merge-patch.js';

/**
 * The schema with every local `$ref` (`#/definitions/x`) replaced by what it names and the
 * `definitions` table dropped: form renderers such as the upstream Control UI's follow no
 * references. Keywords beside a `$ref` win over the referenced ones. The config schema has no
 * recursive definitions; a cycle throws instead of looping.
 */
export function dereferenceSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const definitions = isPlainObject(schema.definitions) ? schema.definitions : {};
  const inline = (node: unknown, seen: readonly string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => inline(item, seen));
    if (!isPlainObject(node)) return node;
    let base: Record<string, unknown> = {};
    const { $ref, ...rest } = node;
    if (typeof $ref === 'string') {
      const name = $ref.replace(/^#\/definitions\//, '');
      if (seen.includes(name)) throw new TypeError(`schema definition ${name} refers to itself`);
      if (!(name in definitions)) throw new TypeError(`schema reference ${$ref} names no definition`);
      base = inline(definitions[name], [...seen, name]) as Record<string, unknown>;
    }
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(rest)) {
      if (key === 'definitions' && seen.length === 0) continue;
      out[key] = inline(value, seen);
    }
    return out;
  };
  return inline(schema, []) as Record<string, unknown>;
}
