import type { ConfigUiHint } from '../protocol/generated/types.js';
import { isSensitiveConfigKey } from './config-redaction.js';
import { isPlainObject } from './merge-patch.js';

const GROUP_ORDER = ['gateway', 'channels', 'agents', 'models', 'logging', 'hooks', 'canvasHost', 'commands', 'session', 'env'];

/**
 * Form hints for every key of a JSON Schema, by dotted path (`[]` for array items, `*` for map
 * values): a label from the key, help from `description`, the top-level key as group, and
 * `sensitive` on secrets so UIs render them as password fields.
 */
export function buildConfigUiHints(schema: unknown): Record<string, ConfigUiHint> {
  const hints: Record<string, ConfigUiHint> = {};
  walk(schema, [], hints);
  return hints;
}

function walk(node: unknown, path: string[], hints: Record<string, ConfigUiHint>): void {
  if (!isPlainObject(node)) return;
  if (isPlainObject(node.properties)) {
    for (const [key, child] of Object.entries(node.properties)) {
      if (key === '$schema') continue;
      const childPath = [...path, key];
      hints[childPath.join('.')] = hintFor(key, child, childPath);
      walk(child, childPath, hints);
    }
  }
  if (isPlainObject(node.additionalProperties) && path.length > 0) {
    const childPath = [...path, '*'];
    hints[childPath.join('.')] = { ...hintFor('*', node.additionalProperties, childPath), label: `${labelOf(path.at(-1)!)} entry` };
    walk(node.additionalProperties, childPath, hints);
  }
  if (isPlainObject(node.items)) walk(node.items, [...path.slice(0, -1), `${path.at(-1) ?? ''}[]`], hints);
}

function hintFor(key: string, schema: unknown, path: string[]): ConfigUiHint {
  const hint: ConfigUiHint = { label: labelOf(key) };
  if (isPlainObject(schema) && typeof schema.description === 'string') hint.help = schema.description;
  const group = path[0]!.replace(/\[\]$/, '');
  hint.group = group;
  if (path.length === 1) {
    const order = GROUP_ORDER.indexOf(group);
    hint.order = order === -1 ? GROUP_ORDER.length : order;
  }
  const parents = path.slice(0, -1).map((segment) => segment.replace(/\[\]$/, ''));
  if (admitsString(schema) && isSensitiveConfigKey(key, parents)) hint.sensitive = true;
  return hint;
}

/** A string field, or a secret that may be a string or a reference (`anyOf` / `allOf`). */
function admitsString(schema: unknown): boolean {
  if (!isPlainObject(schema)) return false;
  if (schema.type === 'string') return true;
  return [schema.anyOf, schema.allOf].some((list) => Array.isArray(list) && list.some(admitsString));
}

/** `allowInsecureAuth` → `Allow Insecure Auth`, `canvasHost` → `Canvas Host`. */
function labelOf(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').replace(/([a-z0-9])([A-Z])/g, '$1 $2').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
