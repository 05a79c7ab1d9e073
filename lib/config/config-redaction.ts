import JSON5 from 'json5';
import { GatewayError } from '../errors.js';
import { isPlainObject } from './merge-patch.js';

/** What `config.get` shows instead of a secret; sent back unchanged, it keeps the stored value. */
export const REDACTED_SENTINEL = '__OPENCLAW_REDACTED__';

// Key names that hold secrets: `token`, `botToken`, `password`, `apiKey`, `clientSecret`, ...
// (`maxTokens` is plural and `apiKeyEnv` names a variable, so neither matches).
const SENSITIVE_KEY = /(?:token|password|secret|apikey|api_key|passphrase)$/i;

/** Whether the value under `key` (at `path`, dotted) is a secret. Every `env` block value is. */
export function isSensitiveConfigKey(key: string, path: readonly string[] = []): boolean {
  return SENSITIVE_KEY.test(key) || (path.length === 1 && path[0] === 'env');
}

/** A copy of a config value with every secret string replaced by {@link REDACTED_SENTINEL}. */
export function redactConfigValue<T>(value: T): T {
  return redact(value, []) as T;
}

function redact(value: unknown, path: string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => redact(item, path));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = typeof item === 'string' && item !== '' && isSensitiveConfigKey(key, path) ? REDACTED_SENTINEL : redact(item, [...path, key]);
  }
  return out;
}

/** Every secret string of a parsed config, for masking the raw file text. */
export function collectSecrets(value: unknown, path: string[] = [], out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) collectSecrets(item, path, out);
  if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string' && item !== '' && isSensitiveConfigKey(key, path)) out.add(item);
      else collectSecrets(item, [...path, key], out);
    }
  }
  return out;
}

// JSON5 string literals, single- or double-quoted.
const STRING_LITERAL = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g;

/**
 * The raw file text with every string literal that holds one of `secrets` replaced by the
 * sentinel. Works on literals (not substrings), so short secrets are masked too and comments
 * and formatting survive.
 */
export function redactConfigRaw(raw: string, secrets: ReadonlySet<string>): string {
  if (secrets.size === 0) return raw;
  return raw.replace(STRING_LITERAL, (literal) => {
    let decoded: unknown;
    try {
      decoded = JSON5.parse(literal);
    } catch {
      return literal;
    }
    return typeof decoded === 'string' && secrets.has(decoded) ? JSON.stringify(REDACTED_SENTINEL) : literal;
  });
}

/**
 * Puts stored secrets back where a client sent {@link REDACTED_SENTINEL} (it edited a redacted
 * `config.get`). A sentinel with no stored value behind it is refused rather than written.
 */
export function restoreRedactedValues(incoming: unknown, stored: unknown, path: string[] = []): unknown {
  if (incoming === REDACTED_SENTINEL) {
    if (typeof stored === 'string') return stored;
    throw new GatewayError('INVALID_REQUEST', `config has ${REDACTED_SENTINEL} at ${path.join('.') || '(root)'} but no stored value to keep`);
  }
  if (Array.isArray(incoming)) {
    const storedItems = Array.isArray(stored) ? stored : [];
    return incoming.map((item, i) => restoreRedactedValues(item, storedItems[i], [...path, String(i)]));
  }
  if (!isPlainObject(incoming)) return incoming;
  const storedObject = isPlainObject(stored) ? stored : {};
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(incoming)) out[key] = restoreRedactedValues(item, storedObject[key], [...path, key]);
  return out;
}

/** Whether the sentinel appears anywhere in a parsed value. */
export function containsRedacted(value: unknown): boolean {
  if (value === REDACTED_SENTINEL) return true;
  if (Array.isArray(value)) return value.some(containsRedacted);
  if (isPlainObject(value)) return Object.values(value).some(containsRedacted);
  return false;
}
