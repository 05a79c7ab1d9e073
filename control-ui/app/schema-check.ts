/**
 * A small JSON Schema (draft-07) checker for the config editor: the keywords the config schema
 * uses (type, properties, required, additionalProperties, propertyNames, items, enum, const,
 * minimum, maximum, minLength, pattern, $ref into definitions, anyOf/oneOf). The gateway
 * validates again on save; this only gives feedback before sending, without shipping AJV.
 */
export interface SchemaIssue {
  path: string;
  message: string;
}

type Schema = Record<string, unknown>;

export function checkSchema(schema: Schema, value: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  visit(schema, value, '', schema, issues);
  return issues;
}

function visit(schema: Schema | boolean, value: unknown, path: string, root: Schema, issues: SchemaIssue[]): void {
  if (schema === true) return;
  if (schema === false) return void issues.push({ path: path || '/', message: 'is not allowed' });
  if (typeof schema.$ref === 'string') return visit(resolveRef(root, schema.$ref), value, path, root, issues);
  const at = path || '/';
  if (schema.type !== undefined) {
    const types = [schema.type].flat() as string[];
    if (!types.some((t) => hasType(value, t))) return void issues.push({ path: at, message: `must be ${types.join(' or ')}` });
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => equal(e, value))) {
    issues.push({ path: at, message: `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  }
  if ('const' in schema && !equal(schema.const, value)) issues.push({ path: at, message: `must be ${JSON.stringify(schema.const)}` });
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (!Array.isArray(options)) continue;
    const matching = options.filter((option) => checkAt(option as Schema, value, path, root).length === 0).length;
    if (matching === 0 || (key === 'oneOf' && matching > 1)) issues.push({ path: at, message: `does not match the allowed forms` });
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) issues.push({ path: at, message: `must be ≥ ${schema.minimum}` });
    if (typeof schema.maximum === 'number' && value > schema.maximum) issues.push({ path: at, message: `must be ≤ ${schema.maximum}` });
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) {
      issues.push({ path: at, message: `must have at least ${schema.minLength} characters` });
    }
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      issues.push({ path: at, message: `must match ${schema.pattern}` });
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, i) => visit(schema.items as Schema, item, `${path}/${i}`, root, issues));
  }
  if (isObject(value)) visitObject(schema, value, path, root, issues);
}

function visitObject(schema: Schema, value: Record<string, unknown>, path: string, root: Schema, issues: SchemaIssue[]): void {
  const properties = (isObject(schema.properties) ? schema.properties : {}) as Record<string, Schema>;
  for (const name of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
    if (!(name in value)) issues.push({ path: path || '/', message: `needs ${name}` });
  }
  for (const [name, child] of Object.entries(value)) {
    const childPath = `${path}/${name}`;
    if (schema.propertyNames !== undefined) visit(schema.propertyNames as Schema, name, childPath, root, issues);
    if (name in properties) visit(properties[name]!, child, childPath, root, issues);
    else if (schema.additionalProperties === false) issues.push({ path: childPath, message: 'is not a known setting' });
    else if (isObject(schema.additionalProperties)) visit(schema.additionalProperties, child, childPath, root, issues);
  }
}

function checkAt(schema: Schema, value: unknown, path: string, root: Schema): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  visit(schema, value, path, root, issues);
  return issues;
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = isObject(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return isObject(node) ? node : {};
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
