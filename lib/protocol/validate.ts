import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { loadOnce } from '../load-once.js';
import { createAjv } from './create-ajv.js';
import type { protocolSchema } from './generated/schema.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; message: string };

type DefinitionName = keyof typeof protocolSchema.definitions;

/** At most this many errors are named in one message; the rest are counted. */
export const MAX_REPORTED_ERRORS = 5;
/** Values with more nodes than this are reported by their first error only (see `boundedCheck`). */
const FULL_REPORT_NODE_LIMIT = 2_000;
const MAX_PATH_CHARS = 80;
const MAX_NAME_CHARS = 60;

export interface ValidatorPair {
  /** Stops at the first error: the cost of a bad value is never more than one pass over it. */
  first: ValidateFunction;
  /** Collects every error, for messages that name several problems at once; small values only. */
  all: ValidateFunction;
}

let ajvFirst: Ajv | undefined;
let ajvAll: Ajv | undefined;
const compiled = new Map<string, ValidatorPair>();
let loadedSchema: object | undefined;
const loadSchema = loadOnce(async () => {
  loadedSchema = (await import('./generated/schema.js')).protocolSchema;
});

/**
 * Loads the protocol schema the validators compile from (240 KB of source, which a gateway that
 * has validated nothing yet does not need); undefined once it is loaded. Validation itself is
 * synchronous, so what validates first (the handshake, a call made in-process) awaits this.
 */
export function loadProtocolSchema(): Promise<void> | undefined {
  return loadedSchema ? undefined : loadSchema();
}

/**
 * Returns the validator of one protocol definition. Each is compiled once per process, on its
 * first use (not at import), from the one bundled protocol schema, which must be loaded by then
 * ({@link loadProtocolSchema}).
 */
export function validatorFor<T>(definition: DefinitionName | string): (value: unknown) => ValidationResult<T> {
  return (value: unknown) => {
    const pair = compile(definition);
    const message = boundedCheck(pair, value);
    return message === undefined ? { ok: true, value: value as T } : { ok: false, message };
  };
}

/**
 * Validates `value`, returning undefined when it is valid and a bounded error message otherwise.
 * Hostile input must not cost more than a linear pass: the first-error validator decides, and only
 * a value small enough to be a human's mistake is validated again to name all of its problems.
 */
export function boundedCheck(pair: ValidatorPair, value: unknown): string | undefined {
  if (pair.first(value)) return undefined;
  if (nodeCountExceeds(value, FULL_REPORT_NODE_LIMIT) || pair.all(value)) return formatAjvErrors(pair.first.errors);
  return formatAjvErrors(pair.all.errors);
}

/** Compiles one schema both ways (first error, all errors) with the given AJV instances. */
export function compilePair(first: Ajv, all: Ajv, schema: object): ValidatorPair {
  return { first: first.compile(schema), all: all.compile(schema) };
}

function compile(definition: string): ValidatorPair {
  let pair = compiled.get(definition);
  if (!pair) {
    if (!loadedSchema) throw new Error(`cannot validate ${definition}: the protocol schema is not loaded (await loadProtocolSchema() first)`);
    // The generated schema is checked by its own tests; validating it against the meta-schema at
    // every process start would cost more than all frame validation of a typical session.
    ajvFirst ??= createAjv({ allErrors: false, strict: false, validateSchema: false, schemas: [loadedSchema] });
    ajvAll ??= createAjv({ allErrors: true, strict: false, validateSchema: false, schemas: [loadedSchema] });
    const ref = `openclaw-protocol#/definitions/${definition}`;
    const first = ajvFirst.getSchema(ref);
    const all = ajvAll.getSchema(ref);
    if (!first || !all) throw new Error(`no protocol definition named ${definition}`);
    pair = { first, all };
    compiled.set(definition, pair);
  }
  return pair;
}

/** Whether `value` has more than `limit` array items and object properties; stops counting at the limit. */
function nodeCountExceeds(value: unknown, limit: number): boolean {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    const children = Array.isArray(node) ? node : Object.values(node);
    count += children.length;
    if (count > limit) return true;
    for (const child of children) stack.push(child);
  }
  return false;
}

/**
 * `at /client/id: must be equal to one of the allowed values (webchat-ui, ...)`, joined by `; `.
 * Linear in the number of errors, and bounded: the first few distinct errors, paths and property
 * names cut short, the rest counted.
 */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors?.length) return 'invalid';
  const parts = new Set<string>();
  let more = 0;
  for (const err of errors) {
    const part = `at ${clip(err.instancePath || '/', MAX_PATH_CHARS)}: ${describe(err)}`;
    if (parts.has(part)) continue;
    if (parts.size < MAX_REPORTED_ERRORS) parts.add(part);
    else more++;
  }
  const text = [...parts].join('; ');
  return more > 0 ? `${text}; and ${more} more` : text;
}

function describe(err: ErrorObject): string {
  switch (err.keyword) {
    case 'additionalProperties':
      return `unexpected property '${clip((err.params as { additionalProperty: string }).additionalProperty, MAX_NAME_CHARS)}'`;
    case 'enum':
      return `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify((err.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return err.message ?? 'invalid';
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
