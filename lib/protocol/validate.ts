import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { protocolSchema } from './generated/schema.js';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; message: string };

type DefinitionName = keyof typeof protocolSchema.definitions;

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * Returns the validator of one protocol definition. Each is compiled once per process, on its
 * first use (not at import), from the one bundled protocol schema.
 */
export function validatorFor<T>(definition: DefinitionName | string): (value: unknown) => ValidationResult<T> {
  return (value: unknown) => {
    const validate = compile(definition);
    return validate(value) ? { ok: true, value: value as T } : { ok: false, message: formatAjvErrors(validate.errors) };
  };
}

function compile(definition: string): ValidateFunction {
  let fn = compiled.get(definition);
  if (!fn) {
    // The generated schema is checked by its own tests; validating it against the meta-schema at
    // every process start would cost more than all frame validation of a typical session.
    ajv ??= new Ajv({ allErrors: true, strict: false, validateSchema: false, schemas: [protocolSchema] });
    const found = ajv.getSchema(`openclaw-protocol#/definitions/${definition}`);
    if (!found) throw new Error(`no protocol definition named ${definition}`);
    fn = found;
    compiled.set(definition, fn);
  }
  return fn;
}

/** `at /client/id: must be equal to one of the allowed values (webchat-ui, ...)`, joined by `; `. */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors?.length) return 'invalid';
  const parts: string[] = [];
  for (const err of errors) {
    const at = err.instancePath || '/';
    let text = err.message ?? 'invalid';
    if (err.keyword === 'additionalProperties') {
      text = `unexpected property '${(err.params as { additionalProperty: string }).additionalProperty}'`;
    } else if (err.keyword === 'enum') {
      text = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    } else if (err.keyword === 'const') {
      text = `must be ${JSON.stringify((err.params as { allowedValue: unknown }).allowedValue)}`;
    }
    const part = `at ${at}: ${text}`;
    if (!parts.includes(part)) parts.push(part);
  }
  return parts.join('; ');
}
