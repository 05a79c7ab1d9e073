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

/** The JSON text of a payload; a sealed one is serialized only the first time. */
export function payloadJson(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const known = texts.get(value);
  if (known === undefined) return JSON.stringify(value);
  if (known !== '') return known;
  const text = JSON.stringify(value);
  texts.set(value, text);
  return text;
}

function deepFreeze(value: object): void {
  if (Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) deepFreeze(child);
}
