/** Plain config values: what the form and the raw editor change, and how that is sent. */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** What the gateway puts where a secret was; sent back (or left out of a patch) it keeps the stored secret. */
export const REDACTED = '__OPENCLAW_REDACTED__';
// Same rule as the gateway's own redaction (lib/config/config-redaction.ts): `maxTokens` is not a secret.
const SENSITIVE_KEY = /(?:token|password|secret|apikey|api_key|passphrase)$/i;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function equalJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equalJson(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && equalJson(a[k], b[k]));
  }
  return false;
}

/** Whether the value at `path` is a secret: hinted as one, named like one, or under `env`. */
export function isSensitivePath(path: readonly string[], hinted: (path: readonly string[]) => boolean): boolean {
  const key = path.at(-1) ?? '';
  return hinted(path) || SENSITIVE_KEY.test(key) || (path.length === 2 && path[0] === 'env');
}

export interface ConfigChange {
  path: string[];
  /** undefined: not set on that side. */
  before: Json | undefined;
  after: Json | undefined;
  sensitive: boolean;
}

/**
 * Leaf-level differences between the loaded config and the edited one; arrays count as one value
 * (a merge patch replaces them whole, so that is what applying changes).
 */
export function diffConfig(before: unknown, after: unknown, hinted: (path: readonly string[]) => boolean, path: string[] = []): ConfigChange[] {
  if (equalJson(before, after)) return [];
  // Objects (also one that is added or removed whole) are compared key by key, so the review
  // lists the settings that change rather than one big value.
  if ((isObject(before) || before === undefined) && (isObject(after) || after === undefined)) {
    const [b, a] = [before ?? {}, after ?? {}] as [JsonObject, JsonObject];
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    const changes = keys.flatMap((k) => diffConfig(b[k], a[k], hinted, [...path, k]));
    // An empty object added or removed has no settings of its own but is still a change.
    if (changes.length > 0 || path.length === 0) return changes;
  }
  const sensitive = isSensitivePath(path, hinted) || containsSecret(before, path, hinted) || containsSecret(after, path, hinted);
  return [{ path, before: before as Json | undefined, after: after as Json | undefined, sensitive }];
}

function containsSecret(value: unknown, path: string[], hinted: (path: readonly string[]) => boolean): boolean {
  if (value === REDACTED) return true;
  if (Array.isArray(value)) return value.some((v) => containsSecret(v, path, hinted));
  if (!isObject(value)) return false;
  return Object.entries(value).some(([k, v]) => (typeof v === 'string' && isSensitivePath([...path, k], hinted)) || containsSecret(v, [...path, k], hinted));
}

/**
 * The RFC 7386 merge patch that turns `before` into `after` (`config.patch` takes one): removed
 * keys become null, objects recurse, everything else is replaced. Untouched secrets are not in it.
 */
export function mergePatch(before: unknown, after: unknown): Json {
  if (!isObject(before) || !isObject(after)) return after as Json;
  const patch: JsonObject = {};
  for (const key of Object.keys(before)) if (!(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after)) {
    if (key in before && equalJson(before[key], value)) continue;
    patch[key] = key in before && isObject(before[key]) && isObject(value) ? mergePatch(before[key], value) : value;
  }
  return patch;
}

/** Displayed value: secrets are never shown, only whether they are set or changed. */
export function displayValue(value: Json | undefined, sensitive: boolean): string {
  if (value === undefined) return '(not set)';
  if (sensitive) return value === REDACTED ? '•••••• (stored)' : '••••••';
  return JSON.stringify(value);
}

export function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node)) node = node[key];
    else return undefined;
  }
  return node;
}

/**
 * Sets (or with `undefined` removes) the value at `path`, making the objects on the way. Removing
 * the last key of an object leaves `{}` (it may be required); array items are spliced out.
 */
export function setValueAt(root: JsonObject, path: readonly string[], value: Json | undefined): void {
  let node: Json = root;
  for (const [i, key] of path.slice(0, -1).entries()) {
    const container = node as JsonObject | Json[];
    let next: Json | undefined = Array.isArray(container) ? container[Number(key)] : container[key];
    if (typeof next !== 'object' || next === null) {
      if (value === undefined) return;
      next = /^\d+$/.test(path[i + 1]!) && Array.isArray(next) ? next : {};
      if (Array.isArray(container)) container[Number(key)] = next;
      else container[key] = next;
    }
    node = next;
  }
  const last = path.at(-1)!;
  if (Array.isArray(node)) {
    if (value === undefined) node.splice(Number(last), 1);
    else node[Number(last)] = value;
  } else if (isObject(node)) {
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
}
