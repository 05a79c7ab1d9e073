import { isPlainObject } from './merge-patch.js';

type Node = Record<string, unknown>;

/** Every JSON type: a node that names them all accepts what a node without `type` accepts. */
const ANY_TYPE = ['string', 'number', 'boolean', 'object', 'array', 'null'];
/** Primitive types first: a form renders a node by its first type, and text fits most values. */
const TYPE_ORDER = ['string', 'integer', 'number', 'boolean', 'array', 'object', 'null'];
/** Keywords that constrain nothing, so two branches may both carry them. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly']);
/** Keywords whose presence makes a branch more than "values of this one type". */
const NOT_MERGEABLE = new Set(['anyOf', 'oneOf', 'allOf', 'not', 'const', 'enum', 'if', 'then', 'else', '$ref']);

/**
 * The config schema in the subset that schema-driven forms such as the seed-era dashboard's
 * render field by field, accepting exactly the same documents:
 * - `allOf` parts are folded into their node when no keyword disagrees;
 * - a union of branches of different types (`string` or `{ primary, fallbacks }`, a secret or
 *   its reference) becomes one node with a type list, since every keyword but the annotations
 *   applies to one type only; the form then shows the first (primitive) type;
 * - a node that accepts anything (no `type`), an array without `items` and
 *   `additionalProperties: true` name every type explicitly.
 * Unions that differ inside one type (two object shapes) stay as they are.
 */
export function formSchema(schema: Node): Node {
  return formNode(schema) as Node;
}

function formNode(input: unknown): unknown {
  if (Array.isArray(input)) return input.map(formNode);
  if (!isPlainObject(input)) return input;
  let node: Node = {};
  for (const [key, value] of Object.entries(input)) {
    node[key] = key === 'properties' || key === 'patternProperties' || key === 'definitions' || key === '$defs' ? mapValues(value, formNode) : key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : formNode(value);
  }
  node = foldAllOf(node);
  node = mergeTypedUnion(node);
  if (declares(node, 'array') && node.items === undefined && node.prefixItems === undefined) node.items = { type: [...ANY_TYPE] };
  if (isAnything(node)) node.type = [...ANY_TYPE];
  if (node.additionalProperties === true) node.additionalProperties = { type: [...ANY_TYPE] };
  return node;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)]));
}

function foldAllOf(node: Node): Node {
  if (!Array.isArray(node.allOf)) return node;
  const { allOf, ...rest } = node;
  let out: Node = rest;
  const kept: unknown[] = [];
  for (const part of allOf as unknown[]) {
    const merged = isPlainObject(part) ? mergeDisjoint(out, part) : undefined;
    if (merged) out = merged;
    else kept.push(part);
  }
  if (kept.length > 0) out.allOf = kept;
  return out;
}

/** `a` and `b` as one node when every constraining keyword they share is equal; else undefined. */
function mergeDisjoint(a: Node, b: Node): Node | undefined {
  const out: Node = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (!(key in out)) out[key] = value;
    else if (!ANNOTATIONS.has(key) && !key.startsWith('x-') && JSON.stringify(out[key]) !== JSON.stringify(value)) return undefined;
  }
  return out;
}

function mergeTypedUnion(node: Node): Node {
  const key = Array.isArray(node.anyOf) ? 'anyOf' : Array.isArray(node.oneOf) ? 'oneOf' : undefined;
  if (!key || node.type !== undefined) return node;
  const branches = node[key] as unknown[];
  if (!branches.every(isPlainObject)) return node;
  const typed = branches as Node[];
  // Forms already render constants (a choice), one branch plus null, or primitives only (a text box).
  const nonNull = typed.filter((b) => b.type !== 'null');
  if (nonNull.length <= 1 || nonNull.every((b) => 'const' in b || Array.isArray(b.enum))) return node;
  if (nonNull.every((b) => typeof b.type === 'string' && ['string', 'number', 'integer', 'boolean'].includes(b.type) && !('const' in b) && !Array.isArray(b.enum))) return node;
  const types: string[] = [];
  let merged: Node = {};
  for (const branch of typed) {
    if (typeof branch.type !== 'string' || types.includes(branch.type)) return node;
    if (Object.keys(branch).some((k) => NOT_MERGEABLE.has(k))) return node;
    types.push(branch.type);
    const constraints = Object.fromEntries(Object.entries(branch).filter(([k]) => k !== 'type' && !ANNOTATIONS.has(k) && !k.startsWith('x-')));
    const next = mergeDisjoint(merged, constraints);
    if (!next) return node;
    merged = next;
  }
  const { [key]: _union, ...rest } = node;
  const out = mergeDisjoint(rest, merged);
  if (!out) return node;
  out.type = types.sort((x, y) => TYPE_ORDER.indexOf(x) - TYPE_ORDER.indexOf(y));
  return out;
}

/** No keyword that constrains the value: the node accepts any JSON value. */
function isAnything(node: Node): boolean {
  return Object.keys(node).every((k) => ANNOTATIONS.has(k) || k.startsWith('x-'));
}

function declares(node: Node, type: string): boolean {
  return node.type === type || (Array.isArray(node.type) && node.type.includes(type));
}
