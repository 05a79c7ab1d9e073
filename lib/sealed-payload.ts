/** Sealed values, and their JSON once some answer has needed it ('' until then). */
const texts = new WeakMap<object, string>();

/**
 * Freezes `value` deeply and marks it as sealed, so every response that carries it reuses one
 * serialization. For answers many clients poll while they stay the same (the cached `health`
 * summary): serializing them costs more than everything else the gateway does per request.
 */
export function sealPayload<T extends object>(value: T): T {
  deepFreeze(value);
  texts.set(value, '');
  return value;
}

/** Fresh objects some of whose values may be sealed: serialized key by key, so those are spliced in. */
const composites = new WeakSet<object>();

/**
 * Marks a plain object built per answer around sealed parts (`hello-ok` around the advertised
 * methods and the health summary), so its JSON reuses theirs instead of serializing them again.
 */
export function composePayload<T extends object>(value: T): T {
  composites.add(value);
  return value;
}

/** The JSON text of a payload; a sealed one is serialized only the first time. */
export function payloadJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (composites.has(value)) return composedJson(value);
  const known = texts.get(value);
  if (known === undefined) return JSON.stringify(value);
  if (known !== '') return known;
  const text = JSON.stringify(value);
  texts.set(value, text);
  return text;
}

/** What JSON.stringify gives a plain object: keys in order, undefined and function values left out. */
function composedJson(value: object): string {
  let out = '';
  for (const key of Object.keys(value)) {
    const text = payloadJson((value as Record<string, unknown>)[key]);
    if (text === undefined) continue;
    out += `${out ? ',' : '{'}${JSON.stringify(key)}:${text}`;
  }
  return out ? `${out}}` : '{}';
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child);
}
