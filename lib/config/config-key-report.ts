import { configValidatorsFor } from './config-validators.js';

/** A key of the old dialect: still read, but upstream refuses it; `openclaw doctor --fix` moves it. */
export interface LegacyConfigKey {
  path: string;
  /** Where upstream keeps it (or what becomes of it). */
  replacement: string;
}

export interface ConfigKeyReport {
  /** Keys upstream accepts whose feature this gateway does not build: accepted, not used. */
  unused: string[];
  legacy: LegacyConfigKey[];
}

type SchemaNode = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  'x-unused'?: boolean;
  'x-legacy'?: string;
};

type Definitions = Record<string, SchemaNode>;

/**
 * Walks a config alongside the config schema and reports the keys the schema marks `x-unused`
 * (accepted for upstream compatibility, no effect here) and `x-legacy` (this gateway's old
 * spelling of something upstream keeps elsewhere). The schema of each section comes with its
 * validator, which validating the config has loaded already; an empty config loads nothing.
 */
export async function configKeyReport(config: unknown): Promise<ConfigKeyReport> {
  const report: ConfigKeyReport = { unused: [], legacy: [] };
  // Nothing in the root schema applies to a value with no keys (an array's items have no schema).
  if (config === null || typeof config !== 'object' || Array.isArray(config) || Object.keys(config).length === 0) return report;
  const { root, sections } = await configValidatorsFor(config);
  const properties = { ...root.schema.properties };
  const definitions: Definitions = {};
  for (const [name, section] of sections) {
    properties[name] = section.schema;
    Object.assign(definitions, section.definitions);
  }
  visit(config, { ...root.schema, properties } as SchemaNode, '', report, definitions);
  return report;
}

function visit(value: unknown, node: SchemaNode | undefined, path: string, report: ConfigKeyReport, definitions: Definitions): void {
  const schema = pick(value, node, definitions);
  if (!schema) return;
  if (schema['x-legacy']) return void report.legacy.push({ path, replacement: schema['x-legacy'] });
  if (schema['x-unused']) return void report.unused.push(path);
  if (Array.isArray(value)) {
    value.forEach((item, i) => visit(item, schema.items, `${path}[${i}]`, report, definitions));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
      visit(child, schema.properties?.[key] ?? extra, path ? `${path}.${key}` : key, report, definitions);
    }
  }
}

/** The schema node that describes `value`: references resolved, and of `anyOf` the branch of its JSON type. */
function pick(value: unknown, node: SchemaNode | undefined, definitions: Definitions): SchemaNode | undefined {
  let current = resolve(node, definitions);
  if (current?.allOf?.length === 1 && !current.properties) current = { ...current, ...resolve(current.allOf[0], definitions) };
  if (!current?.anyOf) return current;
  const branches = current.anyOf.map((branch) => resolve(branch, definitions)).filter((b): b is SchemaNode => b !== undefined);
  return branches.find((b) => matchesType(value, b.type)) ?? current;
}

function resolve(node: SchemaNode | undefined, definitions: Definitions): SchemaNode | undefined {
  let current = node;
  for (let hops = 0; current?.$ref && hops < 10; hops++) {
    const target: SchemaNode | undefined = definitions[current.$ref.replace('#/definitions/', '')];
    const { $ref: _ref, ...rest } = current;
    current = target ? { ...target, ...rest } : undefined;
  }
  return current;
}

function matchesType(value: unknown, type: string | string[] | undefined): boolean {
  if (type === undefined) return false;
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
  const types = Array.isArray(type) ? type : [type];
  return types.includes(actual) || (actual === 'integer' && types.includes('number'));
}
