import type { Ajv } from 'ajv';
import { invalidRequest } from './errors.js';
import { ACCESS_SCOPES, type AccessScope } from './method-access.js';
import type { MethodContext } from './method-context.js';
import type { CustomMethodOptions } from './plugin.js';
import { createAjv } from './protocol/create-ajv.js';
import { methodSpecs } from './protocol/generated/specs.js';
import { boundedCheck, compilePair, loadProtocolSchema, validatorFor } from './protocol/validate.js';

export type AnyHandler = (params: unknown, ctx: MethodContext<unknown>) => unknown;

/** A method as dispatch needs it: who may call it, how its params are checked, and its handler. */
export interface MethodEntry {
  readonly scope: AccessScope;
  readonly handler: AnyHandler;
  /** Returns the params as checked, or throws INVALID_REQUEST naming what is wrong. */
  check(params: unknown): unknown;
}

/** An entry as the table keeps it: `declared` when its params are checked against the protocol schema. */
type TableEntry = MethodEntry & { readonly declared?: true };

const CUSTOM_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;

/**
 * The methods a gateway serves: those the protocol schema declares, and an embedder's own with
 * their own params schema. Each name has at most one handler; every registration can be undone.
 */
export class MethodTable {
  #names?: readonly string[];
  readonly #entries = new Map<string, TableEntry>();
  #ajv?: { first: Ajv; all: Ajv };

  /** A schema-declared method: its access rule and params schema come from the protocol schema (`methodSpecs`). */
  register(method: string, handler: AnyHandler): () => void {
    const spec = Object.hasOwn(methodSpecs, method) ? methodSpecs[method as keyof typeof methodSpecs] : undefined;
    if (!spec) throw new TypeError(`method ${method} is not declared in the protocol schema; register it as a custom method with its params schema`);
    const validate = validatorFor(spec.params);
    return this.#add(method, {
      scope: spec.scope as AccessScope,
      handler,
      declared: true,
      check: (params) => {
        const result = validate(params);
        if (!result.ok) throw invalidRequest(`invalid ${method} params: ${result.message}`);
        return result.value;
      },
    });
  }

  /** A method of the embedder's own; its params are validated against `options.params`. */
  registerCustom(method: string, options: CustomMethodOptions, handler: AnyHandler): () => void {
    if (!CUSTOM_NAME.test(method)) throw new TypeError(`custom method name "${method}" must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter`);
    if (Object.hasOwn(methodSpecs, method)) throw new TypeError(`method ${method} is declared in the protocol schema; register it with registerMethod`);
    if (method === 'connect') throw new TypeError('connect is the handshake, not a method');
    const scope = options.scope ?? 'admin';
    if (!ACCESS_SCOPES.includes(scope)) throw new TypeError(`scope of ${method} must be one of ${ACCESS_SCOPES.join(', ')}, got ${String(scope)}`);
    if ((options.params as { $async?: unknown }).$async) throw new TypeError(`params schema of ${method} must be synchronous ($async is not supported)`);
    this.#ajv ??= { first: createAjv({ allErrors: false, strict: false }), all: createAjv({ allErrors: true, strict: false }) };
    let pair;
    try {
      pair = compilePair(this.#ajv.first, this.#ajv.all, options.params);
    } catch (err) {
      throw new TypeError(`params schema of ${method} does not compile: ${(err as Error).message}`);
    }
    // A nested $async subschema makes AJV return a promise, which would read as "valid".
    if ((pair.first as { $async?: boolean }).$async || (pair.all as { $async?: boolean }).$async) throw new TypeError(`params schema of ${method} must be synchronous ($async is not supported)`);
    return this.#add(method, {
      scope,
      handler,
      check: (params) => {
        const message = boundedCheck(pair, params);
        if (message !== undefined) throw invalidRequest(`invalid ${method} params: ${message}`);
        return params;
      },
    });
  }

  get(method: string): MethodEntry | undefined {
    const entry = this.#entries.get(method);
    const loading = entry?.declared ? loadProtocolSchema() : undefined;
    return loading ? afterSchemaLoads(entry!, loading) : entry;
  }

  has(method: string): boolean {
    return this.#entries.has(method);
  }

  /** Served methods in registration order: what `hello-ok.features.methods` advertises. */
  names(): readonly string[] {
    // The same array until the table changes, so what is built from it can be kept with it.
    this.#names ??= Object.freeze([...this.#entries.keys()]);
    return this.#names;
  }

  #add(method: string, entry: TableEntry): () => void {
    if (this.#entries.has(method)) throw new TypeError(`method ${method} already has a handler`);
    this.#entries.set(method, entry);
    this.#names = undefined;
    return () => {
      if (this.#entries.get(method) !== entry) return;
      this.#entries.delete(method);
      this.#names = undefined;
    };
  }
}

/**
 * A declared method as a call sees it before anything has loaded the protocol schema (a call made
 * in-process before any client connected): its params are checked, and it runs, once the schema is there.
 */
function afterSchemaLoads(entry: MethodEntry, loading: Promise<void>): MethodEntry {
  return {
    scope: entry.scope,
    check: (params) => params,
    handler: async (params, ctx) => {
      await loading;
      return entry.handler(entry.check(params), ctx);
    },
  };
}
