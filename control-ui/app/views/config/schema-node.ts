import type { ConfigUiHint } from '../../../../lib/protocol/generated/types.js';
import { isObject, type Json } from './config-diff.js';

export type SchemaNode = Record<string, unknown>;

/** What a schema node renders as in the form. */
export type FieldKind =
  | { kind: 'object'; properties: [string, SchemaNode][]; extra: SchemaNode | undefined }
  | { kind: 'map'; values: SchemaNode }
  | { kind: 'array'; items: SchemaNode }
  | { kind: 'enum'; options: Json[] }
  | { kind: 'boolean' }
  | { kind: 'number'; integer: boolean; min: number | undefined; max: number | undefined }
  | { kind: 'string' }
  /** `["string", "number"]` and the like: typed as text, read back as the first type it parses as. */
  | { kind: 'scalar'; types: string[] }
  /** anyOf/oneOf of different shapes: the form picks a branch. */
  | { kind: 'choice'; branches: SchemaNode[] }
  /** Nothing the form can describe (no type at all): edited as JSON. */
  | { kind: 'json' };

/**
 * Resolves `$ref` into the root's `definitions`/`$defs` and folds `allOf` into one node, so the
 * form sees plain nodes whether or not the gateway inlined its references. A cycle stops at the
 * repeated reference (rendered as JSON) instead of looping.
 */
export function resolveNode(node: unknown, root: SchemaNode, seen: readonly string[] = []): SchemaNode {
  if (!isObject(node)) return {};
  let out: SchemaNode = { ...node };
  const ref = out.$ref;
  if (typeof ref === 'string') {
    delete out.$ref;
    const name = /^#\/(?:definitions|\$defs)\/(.+)$/.exec(ref)?.[1];
    const table = (root.definitions ?? root.$defs) as Record<string, unknown> | undefined;
    const target = name !== undefined && !seen.includes(name) ? table?.[decodeURIComponent(name)] : undefined;
    if (target !== undefined) out = { ...resolveNode(target, root, [...seen, name!]), ...out };
  }
  if (Array.isArray(out.allOf)) {
    const parts = out.allOf.map((part) => resolveNode(part, root, seen));
    delete out.allOf;
    for (const part of parts) {
      const merged: SchemaNode = { ...part, ...out };
      if (isObject(part.properties) || isObject(out.properties)) merged.properties = { ...(part.properties as object), ...(out.properties as object) };
      out = merged;
    }
  }
  return out;
}

export function classify(node: SchemaNode, root: SchemaNode): FieldKind {
  const types = [node.type ?? []].flat().filter((t): t is string => typeof t === 'string' && t !== 'null');
  if (Array.isArray(node.enum)) return { kind: 'enum', options: node.enum as Json[] };
  if ('const' in node) return { kind: 'enum', options: [node.const as Json] };
  const branches = (Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined)?.map((b) => resolveNode(b, root));
  if (branches && types.length === 0) {
    // Constants only (`anyOf: [{const: "a"}, {const: "b"}]`): a select.
    const constants = branches.flatMap((b) => ('const' in b ? [b.const as Json] : Array.isArray(b.enum) ? (b.enum as Json[]) : [undefined]));
    if (!constants.includes(undefined)) return { kind: 'enum', options: constants as Json[] };
    return { kind: 'choice', branches };
  }
  if (types.length > 1) return types.every((t) => ['string', 'number', 'integer', 'boolean'].includes(t)) ? { kind: 'scalar', types } : { kind: 'json' };
  const type = types[0] ?? (isObject(node.properties) ? 'object' : undefined);
  switch (type) {
    case 'object': {
      const properties = Object.entries(isObject(node.properties) ? node.properties : {}).map(([k, v]) => [k, resolveNode(v, root)] as [string, SchemaNode]);
      const extra = isObject(node.additionalProperties) ? resolveNode(node.additionalProperties, root) : node.additionalProperties === true ? {} : undefined;
      return properties.length === 0 && extra !== undefined ? { kind: 'map', values: extra } : { kind: 'object', properties, extra };
    }
    case 'array':
      return { kind: 'array', items: resolveNode(node.items, root) };
    case 'boolean':
      return { kind: 'boolean' };
    case 'number':
    case 'integer':
      return {
        kind: 'number',
        integer: type === 'integer',
        min: typeof node.minimum === 'number' ? node.minimum : undefined,
        max: typeof node.maximum === 'number' ? node.maximum : undefined,
      };
    case 'string':
      return { kind: 'string' };
    default:
      return { kind: 'json' };
  }
}

/** A new value for a node: the hint's template, the schema default, or the empty value of its type. */
export function emptyValue(node: SchemaNode, root: SchemaNode, hint?: ConfigUiHint): Json {
  if (hint?.itemTemplate !== undefined) return structuredClone(hint.itemTemplate) as Json;
  if (node.default !== undefined) return structuredClone(node.default) as Json;
  const kind = classify(node, root);
  switch (kind.kind) {
    case 'object':
    case 'map':
      return {};
    case 'array':
      return [];
    case 'enum':
      return kind.options[0] ?? null;
    case 'boolean':
      return false;
    case 'number':
      return kind.min ?? 0;
    case 'choice':
      return emptyValue(kind.branches[0]!, root);
    default:
      return '';
  }
}

/** A short name for a branch of a choice: its title, or what type of value it takes. */
export function branchLabel(node: SchemaNode, root: SchemaNode): string {
  if (typeof node.title === 'string') return node.title;
  const kind = classify(node, root);
  const names: Record<FieldKind['kind'], string> = {
    object: 'Object',
    map: 'Entries',
    array: 'List',
    enum: 'Choice',
    boolean: 'Yes/no',
    number: 'Number',
    string: 'Text',
    scalar: 'Value',
    choice: 'Choice',
    json: 'JSON',
  };
  return names[kind.kind];
}

/** Whether a value fits a branch well enough to show that branch for it. */
export function fitsBranch(value: unknown, node: SchemaNode, root: SchemaNode): boolean {
  const kind = classify(node, root);
  switch (kind.kind) {
    case 'object':
    case 'map':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'enum':
      return kind.options.some((o) => o === value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'scalar':
      return ['string', 'number', 'boolean'].includes(typeof value);
    default:
      return true;
  }
}
