/**
 * The config validator as AJV standalone code, in parts: compiling the config schema at every
 * start cost more than everything else the gateway does before it listens, and the compiled whole
 * (500 KB) was most of what a start parsed (bench/README.md, Generated code off the start path).
 * Each section worth a module of its own gets one, loaded the first time a config has that
 * section; the root module checks the document itself and the small sections.
 */
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

type Schema = Record<string, unknown>;

/** A section smaller than this, without references, is checked by the root module: a module of its own would cost more to load than it saves. */
const OWN_MODULE_MIN_BYTES = 600;

export function configValidatorFiles(schema: Schema, header: string): Record<string, string> {
  const properties = schema.properties as Record<string, Schema>;
  const definitions = (schema.definitions ?? {}) as Record<string, Schema>;
  const own = Object.keys(properties).filter((name) => {
    const text = JSON.stringify(properties[name]);
    return text.includes('"$ref"') || text.length > OWN_MODULE_MIN_BYTES;
  });

  // inlineRefs: false compiles a definition once per module instead of at every use (436 KB in
  // all instead of 499 KB); the errors are the same (test/lib/config/config-validators.test.ts).
  const ajv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: true } });
  ajv.addSchema({ ...schema, $id: 'config' });
  const out: Record<string, string> = {};
  for (const name of own) {
    // The section's errors carry its path because the caller passes it (`instancePath: '/gateway'`).
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`config section ${name}: not usable as a module name`);
    const code = standaloneCode.default(ajv, { validate: `config#/properties/${name}` });
    const used = referencedDefinitions(properties[name]!, definitions);
    out[`lib/protocol/generated/config-validator/${name}.js`] = moduleText(header, code, properties[name]!, used);
  }

  const { definitions: _definitions, ...rootSchema } = schema;
  const rootProperties: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(properties)) rootProperties[name] = own.includes(name) ? true : section;
  const root = { ...rootSchema, properties: rootProperties };
  const rootAjv = new Ajv({ allErrors: true, strict: false, inlineRefs: false, code: { source: true, esm: true } });
  out['lib/protocol/generated/config-validator/root.js'] = moduleText(header, standaloneCode.default(rootAjv, rootAjv.compile(root)), root, {});

  const loaders = own.map((name) => `  [${JSON.stringify(name)}, () => import('./config-validator/${name}.js')],`).join('\n');
  out['lib/protocol/generated/config-validators.js'] =
    `${header}\n/** The check of the document itself and of the sections too small for a module of their own. */\n` +
    `export const rootValidator = () => import('./config-validator/root.js');\n` +
    `\n/** Each other section's check, in schema order; loaded when a config has that section. */\nexport const sectionValidators = new Map([\n${loaders}\n]);\n`;
  out['lib/protocol/generated/config-validators.d.ts'] =
    `${header}\nimport type { ValidateFunction } from 'ajv';\n\n` +
    '/** A part of schema/config.schema.json compiled ahead of time (AJV standalone, allErrors), with that part of the schema. */\n' +
    'export interface ConfigValidatorModule {\n' +
    '  validate: ValidateFunction;\n' +
    "  /** What `validate` checks: a section's schema, or the root's with `true` for each section that has a module of its own. */\n" +
    '  schema: Record<string, unknown> & { properties?: Record<string, unknown> };\n' +
    '  /** The definitions `schema` refers to. */\n' +
    '  definitions: Record<string, unknown>;\n' +
    '}\n\n' +
    'export declare const rootValidator: () => Promise<ConfigValidatorModule>;\n' +
    'export declare const sectionValidators: ReadonlyMap<string, () => Promise<ConfigValidatorModule>>;\n';
  return out;
}

/** Every definition `node` refers to, directly or through other definitions. */
function referencedDefinitions(node: unknown, definitions: Record<string, Schema>): Record<string, Schema> {
  const found: Record<string, Schema> = {};
  const pending = [node];
  while (pending.length) {
    const text = JSON.stringify(pending.pop());
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]*)"/g)) {
      const name = /^#\/definitions\/(.+)$/.exec(ref!)?.[1];
      if (!name || !definitions[name]) throw new Error(`config schema: unresolvable $ref ${ref}`);
      if (found[name]) continue;
      found[name] = definitions[name];
      pending.push(definitions[name]);
    }
  }
  // Sorted, so the output does not depend on the order references were found in.
  return Object.fromEntries(Object.entries(found).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * AJV's code, and the schema and definitions for the key report. AJV's code usually holds the
 * very same objects already (for `enum` messages and the like): those are exported by name rather
 * than written twice.
 */
function moduleText(header: string, code: string, schema: unknown, definitions: Record<string, unknown>): string {
  const body = code.replace(/^"use strict";/, '');
  const value = (v: unknown) => new RegExp(`const (schema\\d+) = ${escapeRegExp(JSON.stringify(v))};`).exec(body)?.[1] ?? JSON.stringify(v);
  const defs = Object.entries(definitions).map(([name, def]) => `${JSON.stringify(name)}: ${value(def)}`);
  // AJV's ESM output still reaches its runtime helpers (ucs2length) with require().
  const prelude = body.includes('require(') ? "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n" : '';
  return `${header}${prelude}${body}\nexport const schema = ${value(schema)};\nexport const definitions = {${defs.join(', ')}};\n`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
