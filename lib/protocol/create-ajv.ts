import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';

let AjvClass: typeof Ajv | undefined;

/**
 * A new AJV instance. The library (about 60 modules, several MB resident) is loaded with the
 * first instance rather than at import, so a gateway that has not validated anything yet (while
 * it starts, and idle) never pays for it; the config validator is precompiled and needs none of it.
 */
export function createAjv(options: Options): Ajv {
  AjvClass ??= (createRequire(import.meta.url)('ajv') as { Ajv: typeof Ajv }).Ajv;
  return new AjvClass(options);
}
