import type { ErrorObject } from 'ajv';
import { rootValidator, sectionValidators, type ConfigValidatorModule } from '../protocol/generated/config-validators.js';

export interface ConfigValidators {
  /** Checks the document itself (unknown keys) and the small sections. */
  root: ConfigValidatorModule;
  /** The module of each other section the config has. */
  sections: Map<string, ConfigValidatorModule>;
}

/**
 * The compiled checks a config needs: the root's, and those of the sections it has. A section's
 * module (up to 120 KB of generated code) is loaded the first time a config has that section, so
 * a process parses only what it validates.
 */
export async function configValidatorsFor(config: unknown): Promise<ConfigValidators> {
  const wanted = isObject(config) ? [...sectionValidators].filter(([name]) => config[name] !== undefined) : [];
  const [root, ...loaded] = await Promise.all([rootValidator(), ...wanted.map(([, load]) => load())]);
  return { root: root!, sections: new Map(wanted.map(([name], i) => [name, loaded[i]!])) };
}

/**
 * What AJV reports for `config` against schema/config.schema.json, in the order one validator
 * compiled from the whole schema reports it: the document's own errors (its type, unknown keys)
 * first, then each section's in schema order. Callers keep the first N issues, so the order is
 * part of the result.
 */
export async function configErrors(config: unknown): Promise<ErrorObject[]> {
  const { root, sections } = await configValidatorsFor(config);
  const rootErrors = root.validate(config) ? [] : (root.validate.errors ?? []);
  if (!isObject(config)) return rootErrors;
  const errors = rootErrors.filter((err) => err.instancePath === '');
  for (const name of Object.keys(root.schema.properties ?? {})) {
    const own = sections.get(name);
    if (!own) {
      errors.push(...rootErrors.filter((err) => err.instancePath === `/${name}` || err.instancePath.startsWith(`/${name}/`)));
    } else if (!own.validate(config[name], { instancePath: `/${name}`, parentData: config, parentDataProperty: name, rootData: config, dynamicAnchors: {} })) {
      errors.push(...(own.validate.errors ?? []));
    }
  }
  return errors;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
